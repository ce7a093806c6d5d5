"""Lab 0: boot. The banner, the formatter, a clean exit with a status, and
panic ending QEMU with a failure status."""

from gradelib import Fail, test


@test(0, "banner names the hart and the device tree", points=2)
def banner(ctx):
    r = ctx.boot()
    m = r.expect(r"^Eclipse RV: hart (\d+), device tree at 0x([0-9a-f]+)$", "the boot banner")
    if int(m.group(2), 16) < 0x80000000:
        raise Fail(f"device tree address 0x{m.group(2)} is not in RAM: is a1 passed to kmain?")
    r.expect(r"^shell: type 'help' for commands$", "the shell's greeting")
    r.expect_exit(0)


@test(0, "kprintf formats numbers, strings and padding", points=3)
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


@test(0, "poweroff leaves QEMU with the status asked for", points=2)
def poweroff_status(ctx):
    r = ctx.boot(["poweroff 7"])
    r.expect_exit(7)
    r = ctx.boot(["poweroff"])
    r.expect_exit(0)


@test(0, "panic prints where it happened and exits with failure", points=2)
def panic_exits(ctx):
    r = ctx.boot(["panic grader asked for it"])
    r.expect(r"^panic: grader asked for it$", "the panic message")
    r.expect(r"in \w+\(\) at src/[\w/]+\.c:\d+", "the panic's location")
    r.expect_exit(1)


@test(0, "help lists the commands", points=1)
def help_lists(ctx):
    r = ctx.boot(["help"])
    out = r.section("help")
    for name in ("help", "poweroff", "devices"):
        if f"  {name} " not in out:
            raise Fail(f"`help` does not list {name}")
    r.expect_exit(0)
