// The harts the kernel does not use (harts.c).
#ifndef HARTS_H
#define HARTS_H

struct boot_info;

// Start every hart in the tree but the boot hart on an idle loop, so that
// none of them spins in the firmware. Says how many it parked.
void harts_park_others(const struct boot_info *bi);

#endif
