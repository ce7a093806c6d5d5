// Where the loops that run once per request sit, for QEMU's TCG, which
// runs this kernel nearly everywhere it runs. TCG chains one translated
// block straight to the next only when the jump stays on the guest page
// the block started on; a jump to another page, and every return, makes
// it look the next block up in a table instead. Measured at depth 32
// (`benchloop`; docs/measurements.md, "What depth 32 is made of"), the
// driver spent about 5.8-6.0 us of guest time between two notifications
// with its loop on one page and the split ring's calls on another,
// 5.1-5.8 with all of them on one page, and 4.2-4.5 with the calls
// inline as well. How long that gap is decides whether QEMU's main loop
// takes its lock between two notifications (under about 4.5 us it mostly
// does not).
//
// HOT_LOOP starts a function on a page of its own (each is under 4 KiB),
// so its branches never leave the page. HOT_LOOP_FLAT also takes every
// call it can inline: the Makefile builds blk_req.c and virtq_split.c for
// link-time optimisation so that vblk_run can take the split ring's
// per-request calls, which live in the other file.
#ifndef HOTPATH_H
#define HOTPATH_H

#define HOT_LOOP __attribute__((aligned(4096)))
#ifdef __OPTIMIZE__
#define HOT_LOOP_FLAT __attribute__((aligned(4096), flatten))
#else
#define HOT_LOOP_FLAT HOT_LOOP // DEBUG=1 (-O0): every call kept, for gdb
#endif

#endif
