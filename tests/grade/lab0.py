"""Lab 0: boot. The banner, the formatter, a clean exit with a status, and
panic ending QEMU with a failure status."""

import re

from gradelib import NUMA2, ONCE, Fail, test

# Lab 0 touches no virtio device, so its tests run once (gradelib.ONCE).


@test(0, "banner names the hart and the device tree", points=2, transports=ONCE)
def banner(ctx):
    r = ctx.boot()
    m = r.expect(r"^Eclipse RV: hart (\d+), device tree at 0x([0-9a-f]+)$", "the boot banner")
    if int(m.group(2), 16) < 0x80000000:
        raise Fail(f"device tree address 0x{m.group(2)} is not in RAM: is a1 passed to kmain?")
    r.expect(r"^shell: type 'help' for commands$", "the shell's greeting")
    r.expect_exit(0)


@test(0, "with -m 2G the RAM comes from the device tree, and what is left unused is said",
      points=1, transports=ONCE)
def large_ram(ctx):
    # the page pool holds 1 GiB at most (mem.c's MAX_PAGES): the rest of a
    # larger RAM is named, not silently dropped
    r = ctx.boot(memory="2G")
    r.expect(r"^boot: RAM 0x80000000\.\.0x100000000, \d+ KiB free for pages, ",
             "`boot: RAM 0x80000000..0x100000000, ...` (2 GiB, from the tree's /memory)")
    m = r.expect(r"^boot: (\d+) MiB of RAM above the first 1 GiB past the kernel are not used",
                 "the line saying how much RAM the page pool leaves out")
    if not 1000 <= int(m.group(1)) <= 1024:
        raise Fail(f"{m.group(1)} MiB left out of 2 GiB: expected 2048 MiB less the kernel "
                   "and the pool's 1 GiB")
    r.expect_exit(0)


@test(0, "two NUMA nodes (-numa): one RAM range of both nodes' memory", points=1,
      transports=ONCE)
def numa_nodes(ctx):
    # With -numa QEMU describes each node's RAM as a memory node of its
    # own. Taking one of them (the last one read) left the kernel's own
    # node out of the RAM it believed in, and every buffer there looked
    # unreachable by DMA.
    r = ctx.boot(memory="256M", extra=NUMA2)
    r.expect(r"^boot: RAM 0x80000000\.\.0x90000000, ",
             "`boot: RAM 0x80000000..0x90000000, ...` (both nodes' 128 MiB, one range)")
    r.expect_exit(0)


@test(0, "the boot line: a typo, a value out of range, a repeat and a cut line are named",
      points=1, transports=ONCE)
def boot_line(ctx):
    # each would otherwise boot as if it had been taken: vqsize=16 with
    # the default queue, irq=of with interrupts on
    tail = "y" * 200
    r = ctx.boot(["irq", "echo alive"],
                 append=f"vqsize=16 irq=of blk_timeout_ms=0 blk_spin_us=5 blk_spin_us=6 {tail}")
    r.expect(r'^boot: "vqsize=16" is not an argument this kernel knows; ignored \(known: .*'
             r'\bvq_size\b.*\)$', "the typo named, with the arguments there are")
    r.expect(r'^boot: "irq=of": irq takes on or off; ignored, the default stands$',
             "a switch's bad value named")
    r.expect(r'^boot: "blk_timeout_ms=0": blk_timeout_ms takes a number from 1 to \d+; '
             r"ignored, the default stands$", "a number outside its range named")
    r.expect(r'^boot: blk_spin_us given more than once; the first \("blk_spin_us=5"\) counts$',
             "the repeated argument named")
    r.expect(r"^boot: the arguments are longer than 255 bytes; the rest is not read$",
             "the cut boot line said")
    r.expect(r"^alive$", "the kernel to boot and run commands")
    r.expect_exit(0)


@test(0, "kprintf formats numbers, strings and padding", points=3, transports=ONCE)
def formatting(ctx):
    r = ctx.boot(["fmt"])
    out = r.section("fmt")
    want = [
        "d=[-42] u=[42] x=[2a] X=[2A]",
        "width=[   42] zero=[00042] left=[42   ] neg0=[-0042]",
        "lx=[deadbeefcafe] lu=[18446744073709551615] ld=[-9223372036854775808]",
        "p=[0x80200000] s=[virtio] s5=[   ab] c=[Z]",
    ]
    for w in want:
        if w not in out:
            raise Fail(f"`fmt` should print {w!r}")
    r.expect_exit(0)


@test(0, "poweroff leaves QEMU with the status asked for", points=2, transports=ONCE)
def poweroff_status(ctx):
    r = ctx.boot(["poweroff 7"])
    r.expect_exit(7)
    r = ctx.boot(["poweroff"])
    r.expect_exit(0)


@test(0, "panic prints where it happened and exits with failure", points=2, transports=ONCE)
def panic_exits(ctx):
    r = ctx.boot(["panic grader asked for it"])
    r.expect(r"^panic: grader asked for it$", "the panic message")
    r.expect(r"in \w+\(\) at src/[\w/]+\.c:\d+", "the panic's location")
    r.expect_exit(1)


# commands given words they do not read: each prints its usage and does
# nothing else (`crash x` traps no more, `panic` alone panics no more)
NO_ARGS = ["help x", "irq x", "fmt x", "crash x", "net abc"]


@test(0, "help lists the commands", points=1, transports=ONCE)
def help_lists(ctx):
    r = ctx.boot(["help"] + NO_ARGS + ["panic", "vqring", "echo still-alive"])
    out = r.section("help")
    for name in ("help", "poweroff", "devices"):
        if f"  {name} " not in out:
            raise Fail(f"`help` does not list {name}")
    for c in NO_ARGS:
        want = f"usage: {c.split()[0]}   (takes no arguments)"
        if r.section(c).strip() != want:
            raise Fail(f"`{c}` should print only {want!r}; it printed "
                       f"{r.section(c).strip()[:200]!r}")
    if r.section("panic").strip() != "usage: panic MESSAGE":
        raise Fail("`panic` without a message should print its usage, not panic with none: "
                   f"{r.section('panic').strip()[:200]!r}")
    # no virtio device in this boot: no queue to list, and vqring says so
    if not r.section("vqring").startswith("vqring: no virtqueues"):
        raise Fail("`vqring` with no device set up should say there are no virtqueues; it "
                   f"printed {r.section('vqring').strip()[:200]!r}")
    r.alive()
    r.expect_exit(0)


@test(0, "commands sent all at once before the prompt all run, in order", points=1,
      transports=ONCE)
def input_at_once(ctx):
    # The way `printf 'help\n' | qemu-system-riscv64 ...` sends them. QEMU
    # hands the first byte to the 16550 before OpenSBI runs, and OpenSBI's
    # UART set-up (FCR: FIFO on) makes QEMU forget it was there; uart.c
    # takes it back from the receive register. Every byte must reach the
    # shell, the first one too.
    words = [f"w{i:02d}" for i in range(12)]
    cmds = ["echo first " + " ".join(words), "echo\tsecond", "fmt", "echo third",
            "poweroff 5"]
    r = ctx.boot(cmds, at_once=True)
    for c, want in (("echo first " + " ".join(words), "first " + " ".join(words)),
                    ("echo\tsecond".replace("\t", " "), "second"), ("echo third", "third")):
        if r.section(c).strip() != want:
            raise Fail(f"`{c}` sent before the prompt printed {r.section(c).strip()!r}")
    if "d=[-42]" not in r.section("fmt"):
        raise Fail("`fmt` sent before the prompt did not run")
    r.reject(r"command not found", "a command that lost bytes")
    r.expect_exit(5)


LINE_LIMIT = 1024 + 127  # the longest EclipseFS path, a command and options
WORD_LIMIT = 32


@test(0, "long lines and many words run whole or are refused whole", points=2, transports=ONCE)
def long_lines(ctx):
    fits = "x" * (LINE_LIMIT - len("echo "))
    too_long = fits + "y"
    many = [f"{i}" for i in range(WORD_LIMIT - 1)]
    r = ctx.boot(["echo " + fits, "echo " + too_long, "echo " + " ".join(many),
                  "echo " + " ".join(many + ["extra"]), "echo a\tb\t\tc",
                  # cursor keys, as a terminal sends them: up, Ctrl-right, F1
                  "\x1b[A\x1b[1;5Cecho arrow\x1bOP", "echo alive"])
    if r.section("echo " + fits).strip() != fits:
        raise Fail(f"a {LINE_LIMIT}-byte line did not run whole")
    # the shell echoes what fits, so the refused line shows as a second
    # "echo xxx..." whose output must be the refusal alone
    refused = r.section("echo " + fits, 1).strip()
    m = re.fullmatch(r"shell: line too long \(at most (\d+) bytes\); nothing run", refused)
    if not m or int(m.group(1)) != LINE_LIMIT:
        raise Fail(f"a {LINE_LIMIT + 1}-byte line was not refused with its limit: {refused[:80]!r}")
    if r.section("echo " + " ".join(many)).strip() != " ".join(many):
        raise Fail(f"{WORD_LIMIT} words did not all reach the command")
    r.expect(rf"^shell: too many words \(at most {WORD_LIMIT}\); nothing run$",
             f"{WORD_LIMIT + 1} words refused with the limit")
    r.reject(r"^0 1 2 .* extra$", "the command with too many words to run")
    r.expect(r"^a b c$", "tabs to separate words like spaces")
    if r.section("echo arrow").strip() != "arrow":
        raise Fail("cursor keys (ESC [ A ...) typed around `echo arrow` should be dropped, "
                   f"not run: it printed {r.section('echo arrow').strip()!r}")
    r.expect(r"^alive$", "the shell to go on")
    r.expect_exit(0)


@test(0, "Ctrl-C drops the line being typed, and the next line runs", points=1,
      transports=ONCE)
def ctrl_c_line(ctx):
    r = ctx.boot(["echo dropped\x03echo kept"])
    r.expect(r"^eclipse> echo dropped\^C$", "the line shown cut by ^C")
    r.reject(r"^dropped$", "the dropped line's command to run")
    r.expect(r"^kept$", "the line typed after the Ctrl-C to run")
    r.expect_exit(0)


@test(0, "a status that does not fit in 8 bits is refused, not cut", points=1, transports=ONCE)
def poweroff_range(ctx):
    # QEMU keeps 8 bits: 256 would exit 0 (success), 4294967296 too
    r = ctx.boot(["poweroff 256", "poweroff 4294967296", "poweroff 18446744073709551616",
                  "poweroff 7x", "poweroff 0x2a"])
    for c in ("poweroff 256", "poweroff 4294967296", "poweroff 18446744073709551616",
              "poweroff 7x"):
        if "usage: poweroff [STATUS]   (STATUS 0..255)" not in r.section(c):
            raise Fail(f"`{c}` was not refused with the range 0..255")
    r.expect_exit(42)
