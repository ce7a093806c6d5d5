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
import socket
port = int(os.environ.get("GDBPORT") or 25000 + os.getuid() % 5000)
# Asked first: where nothing listens, gdb's own `target remote` retries for
# its connect-timeout (15 s) and ends in a Python traceback.
try:
    socket.create_connection(("localhost", port), timeout=2).close()
except OSError:
    print("gdb: nothing listens on localhost:%d: start `make qemu-gdb` in another "
          "terminal first (with DEBUG=1 on both for locals), then run `make gdb` again" % port)
    gdb.execute("quit 1")
gdb.execute("target remote localhost:%d" % port)
end
# QEMU is stopped before the first instruction; `continue` runs to kmain.
break kmain
