# _start: where OpenSBI jumps, in S-mode, with translation off.
#   a0 = this hart's id, a1 = physical address of the device tree.
# Set up a stack, clear BSS (C expects zeroed globals), then call
# kmain(hartid, dtb). a0 and a1 are not touched on the way.
#
# This file is given to students: it cannot be written before lab 0 works.

	.section .text.entry
	.globl _start
_start:
	# no interrupts until lab 7 installs a trap vector
	csrw	sie, zero
	la	sp, boot_stack_top

	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	call	kmain
	# kmain never returns; if it does, stop here rather than run off.
3:	wfi
	j	3b

	.section .bss
	.balign	16
boot_stack:
	.space	16384
	.globl	boot_stack_top
boot_stack_top:
