# Attach to `make qemu-gdb`. Run `make gdb`, or:
#   gdb-multiarch -x .gdbinit build/kernel.elf
set architecture riscv:rv64
target remote localhost:1234
break kmain
