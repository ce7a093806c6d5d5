// Ending the machine. Graders read QEMU's exit status, so every run ends
// through here: 0 for success, anything else for failure.
#ifndef POWER_H
#define POWER_H

void power_exit(int status) __attribute__((noreturn));

#endif
