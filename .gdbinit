# Attach to `make qemu-gdb`. Run `make gdb` in a second terminal (with
# DEBUG=1 on both commands for a kernel whose locals gdb can show), or by
# hand: gdb-multiarch -x .gdbinit build/kernel.elf
#
# The port is your own, so students sharing a machine do not collide:
# 25000 + (your user id mod 5000), the same number the Makefile computes
# (`make` prints it; GDBPORT=n in the environment overrides both).
set architecture riscv:rv64
python
import os
port = int(os.environ.get("GDBPORT") or 25000 + os.getuid() % 5000)
gdb.execute("target remote localhost:%d" % port)
end
# QEMU is stopped before the first instruction; `continue` runs to kmain.
break kmain
