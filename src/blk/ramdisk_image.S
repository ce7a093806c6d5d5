# The sample EclipseFS image, copied into the kernel at build time. It sits
# in .data because the ramdisk is writable. SAMPLE_IMG is the image's path,
# given by the Makefile.
	.section .data
	.balign	4096
	.globl	ramdisk_image_start, ramdisk_image_end
ramdisk_image_start:
	.incbin	SAMPLE_IMG
	.balign	512
ramdisk_image_end:
