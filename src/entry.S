# _start: where OpenSBI jumps, in S-mode, with translation off.
#   a0 = this hart's id, a1 = physical address of the device tree.
# Set up a stack, clear BSS (C expects zeroed globals), then call
# kmain(hartid, dtb). a0 and a1 are not touched on the way.
#
# This file is given to students: it cannot be written before lab 0 works.

	.section .text.entry
	.globl _start
_start:
	# One hart boots. OpenSBI 1.x starts the kernel on one hart and keeps
	# the others stopped (SBI HSM), but firmware without HSM starts every
	# hart here, and two harts on one stack corrupt each other at once.
	# So the first hart to swap a 1 into boot_lottery boots; any later one
	# parks before it touches the stack or .bss. (boot_lottery is in .data
	# because the winner clears .bss: a hart arriving after that would
	# find 0 again and boot a second time.)
	la	t0, boot_lottery
	li	t1, 1
	amoswap.w t1, t1, (t0)
	bnez	t1, hart_park
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

# hart_park: where a hart that lost the lottery goes, and where harts.c
# starts the harts the kernel does not use (SBI HSM hart_start, S-mode,
# a0 = hart id). No stack, no interrupts: wfi until the machine is
# switched off. (An M-mode interrupt still reaches OpenSBI in between,
# which is the point: see harts.c.)
	.section .text
	.globl hart_park
hart_park:
	csrw	sie, zero
4:	wfi
	j	4b

	.section .data
	.balign	4
boot_lottery:
	.word	0

	.section .bss
	.balign	16
boot_stack:
	.space	16384
	.globl	boot_stack_top
boot_stack_top:
