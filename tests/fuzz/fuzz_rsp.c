/*
 * libFuzzer target over the packet codec and the dispatcher: the input is
 * a byte stream from a "debugger". Every byte goes through rsp_feed; every
 * packet through gdb_cmd_handle against the fake target, resumes included;
 * every reply through rsp_frame, whose output is parsed back and must give
 * the same payload. Memory-safety bugs are caught by the sanitizers; logic
 * invariants by the checks below (a failure aborts, which libFuzzer reports).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/cmd.h"
#include "gdbstub/rsp.h"
#include "tests/fake_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz invariant failed: %s\n", what);
        abort();
    }
}

/* The framed reply must decode to exactly the payload. */
static void check_roundtrip(struct rsp_parser *back, const char *reply,
                            size_t len, uint8_t *frame)
{
    size_t flen = rsp_frame(reply, len, frame, RSP_MAX_FRAME);
    enum rsp_event ev = RSP_EV_NONE;
    size_t plen = 0;

    check(flen > 0, "reply frames");
    rsp_init(back);
    for (size_t i = 0; i < flen; i++)
        ev = rsp_feed(back, frame[i]);
    check(ev == RSP_EV_PACKET, "framed reply parses");
    const char *p = rsp_payload(back, &plen);
    check(plen == len && memcmp(p, reply, len) == 0, "reply round-trips");
}

/* Memory views for the fake (first byte's bit 6): a map with a hole. */
static int fuzz_map(void *ctx, struct gdb_mem_region *out, size_t cap)
{
    (void)ctx;
    if (cap < 2)
        return -ENOSPC;
    out[0] = (struct gdb_mem_region){0, 0x8000, GDB_MEM_RAM};
    out[1] = (struct gdb_mem_region){0xc000, 0x4000, GDB_MEM_ROM};
    return 2;
}

static size_t fuzz_writer(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    return len;
}

static void fuzz_sink(void *ctx, const struct gdb_console_sink *sink)
{
    (void)ctx;
    check(!sink || sink->write == fuzz_writer, "the server's writer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gdb_target_ops ops;
    static struct rsp_parser parser, back;
    static char reply[RSP_MAX_PACKET + 1];
    static uint8_t frame[RSP_MAX_FRAME];
    static struct fake_target fake;
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_AUTO};
    size_t len, plen;

    /* The first byte picks the host's capabilities and the mechanism. */
    uint8_t sel = size ? data[0] : 0;
    fake_init(&fake, sel & 1, sel & 2, sel & 4);
    fake.exit_after = 5000; /* bound every run */
    fake.interrupt_after = (sel & 8) ? 7 : 0;
    cfg.mechanism = (enum gdb_bp_mechanism)((sel >> 4) & 3);
    ops = *fake_ops();
    if (sel & 0x40) {
        ops.memory_map = fuzz_map;
        ops.read_phys = fake_read_mem;
        ops.write_phys = fake_write_mem;
        ops.set_console_sink = fuzz_sink;
    }
    struct gdb_cmd *cmd = gdb_cmd_new(&ops, &fake, &cfg);
    if (!cmd) {
        cfg.mechanism = GDB_BP_AUTO;
        cmd = gdb_cmd_new(&ops, &fake, &cfg);
        check(cmd != NULL, "AUTO mechanism always works");
    }
    gdb_cmd_set_console_writer(cmd, fuzz_writer, NULL);
    rsp_init(&parser);
    for (size_t i = size ? 1 : 0; i < size; i++) {
        enum rsp_event ev = rsp_feed(&parser, data[i]);
        if (ev == RSP_EV_INTERRUPT) {
            gdb_cmd_interrupt(cmd, 2, reply, RSP_MAX_PACKET, &len);
            check(len <= RSP_MAX_PACKET, "interrupt reply fits");
            continue;
        }
        if (ev != RSP_EV_PACKET)
            continue;
        const char *pkt = rsp_payload(&parser, &plen);
        check(plen <= RSP_MAX_PACKET, "payload fits");
        len = 0;
        enum gdb_cmd_result r =
            gdb_cmd_handle(cmd, pkt, plen, reply, RSP_MAX_PACKET, &len);
        check(len <= RSP_MAX_PACKET, "reply fits");
        switch (r) {
        case GDB_CMD_REPLY:
        case GDB_CMD_NOACK:
            check_roundtrip(&back, reply, len, frame);
            break;
        case GDB_CMD_RESUME:
            for (int polls = 0; polls < 4; polls++) {
                int rr = gdb_cmd_run(cmd, reply, RSP_MAX_PACKET, &len);
                check(rr >= 0, "run succeeds on the fake");
                if (rr != GDB_RUN_POLL) {
                    if (rr == GDB_RUN_STOPPED || rr == GDB_RUN_EXITED)
                        check_roundtrip(&back, reply, len, frame);
                    break;
                }
            }
            if (!gdb_cmd_is_stopped(cmd))
                gdb_cmd_interrupt(cmd, 2, reply, RSP_MAX_PACKET, &len);
            break;
        case GDB_CMD_DETACH:
            /* gdb_cmd_handle already detached: the guest bytes are back. */
            break;
        case GDB_CMD_KILL:
            break;
        }
    }
    gdb_cmd_detach(cmd);
    /* After a detach no 0xCC of ours may be left in guest memory. */
    gdb_cmd_free(cmd);
    return 0;
}
