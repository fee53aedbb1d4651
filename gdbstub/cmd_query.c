/*
 * General query packets (q..., Q...): features, threads, the target
 * description and monitor commands.
 */
#include "cmd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "rsp.h"

/* PacketSize is RSP_MAX_PACKET in hex. */
_Static_assert(RSP_MAX_PACKET == 0x20000, "PacketSize in qSupported");

static const char supported[] =
    "PacketSize=20000;qXfer:features:read+;QStartNoAckMode+;"
    "vContSupported+;swbreak+;hwbreak+";

/* Record mode adds reverse execution (bs, bc). */
static const char supported_rec[] =
    "PacketSize=20000;qXfer:features:read+;QStartNoAckMode+;"
    "vContSupported+;swbreak+;hwbreak+;ReverseStep+;ReverseContinue+";

static const char monitor_help[] =
    "breakpoints  list breakpoints and the mechanism in use\n"
    "pc [linear|offset]  gdb's pc outside 64-bit code: CS base + IP\n"
    "             (linear, the default) or IP\n";

/* Where the target has the ops they need. */
static const char help_console[] =
    "console [stdout|gdb|both]  where guest console output goes: the\n"
    "             VMM's stdout (default), gdb while the guest runs, or both\n";
static const char help_xp[] =
    "xp ADDR [LEN]  physical memory in hex (also xp /NFU ADDR, as QEMU)\n";

static const char *const point_name[] = {"break", "hbreak", "watch", "rwatch",
                                         "awatch"};

/* `monitor breakpoints`: the manager's list, then what gdb lifted. */
static size_t describe(struct gdb_cmd *s, char *out, size_t cap)
{
    size_t n = gdb_bp_describe(&s->bp, out, cap);

    if (s->n_lifted == 0 || n + 1 >= cap)
        return n;
    n += (size_t)snprintf(out + n, cap - n,
                          "%zu inserted; lifted by gdb at this stop (gdb "
                          "takes its breakpoints out while stopped and\n"
                          "inserts those still set when it resumes):\n",
                          s->bp.n);
    for (size_t i = 0; i < s->n_lifted && n + 1 < cap; i++) {
        const struct gdb_cmd_point *p = &s->lifted[i];
        n += (size_t)snprintf(out + n, cap - n, "%-7s 0x%llx",
                              point_name[p->type], (unsigned long long)p->addr);
        if (n + 1 < cap && p->type >= GDB_BP_WRITE)
            n += (size_t)snprintf(out + n, cap - n, " len %llu",
                                  (unsigned long long)p->kind);
        if (n + 1 < cap)
            n += (size_t)snprintf(out + n, cap - n, " lifted\n");
    }
    return n < cap ? n : cap - 1;
}

static bool is(const char *pkt, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(pkt, word, len) == 0;
}

static bool has_prefix(const char *pkt, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(pkt, prefix, n) == 0;
}

/* Whether the qSupported packet lists feature (e.g. "exec-events+"). */
static bool has_feature(const char *pkt, size_t len, const char *feature)
{
    size_t n = strlen(feature);
    const char *p = memchr(pkt, ':', len), *end = pkt + len;

    while (p && p < end) {
        const char *f = p + 1, *semi = memchr(f, ';', (size_t)(end - f));
        const char *fe = semi ? semi : end;
        if ((size_t)(fe - f) == n && memcmp(f, feature, n) == 0)
            return true;
        p = semi;
    }
    return false;
}

/* qXfer:features:read:annex:offset,length */
static enum gdb_cmd_result xfer_features(struct gdb_cmd *s, const char *p,
                                         const char *end, char *reply,
                                         size_t cap, size_t *len)
{
    static const char annex[] = "target.xml:";
    uint64_t off, n;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *xml;
    size_t xlen;
    int r;

    if (!colon)
        return gdb_cmd_reply_err(1, reply, cap, len);
    if ((size_t)(colon + 1 - p) != strlen(annex) ||
        memcmp(p, annex, strlen(annex)) != 0)
        return gdb_cmd_reply_str("E00", reply, cap, len);
    if (!gdb_cmd_parse_xfer(colon + 1, end, &off, &n))
        return gdb_cmd_reply_err(1, reply, cap, len);
    /* This is where gdb learns the layout: fix it for the session. */
    if ((r = gdb_cmd_fix_arch(s)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    xml = gdb_arch_target_xml(s->arch, &xlen);
    return gdb_cmd_xfer_reply(xml, xlen, off, n, reply, cap, len);
}

bool gdb_cmd_parse_xfer(const char *p, const char *end, uint64_t *off,
                        uint64_t *n)
{
    return gdb_cmd_parse_hex(&p, end, off) && p != end && *p++ == ',' &&
           gdb_cmd_parse_hex(&p, end, n) && p == end && *n != 0;
}

enum gdb_cmd_result gdb_cmd_xfer_reply(const char *doc, size_t dlen,
                                       uint64_t off, uint64_t n, char *reply,
                                       size_t cap, size_t *len)
{
    if (off >= dlen)
        return gdb_cmd_reply_str("l", reply, cap, len);
    if (n > cap - 1)
        n = cap - 1;
    if (n > dlen - off)
        n = dlen - off;
    reply[0] = off + n < dlen ? 'm' : 'l';
    memcpy(reply + 1, doc + off, n);
    *len = n + 1;
    return GDB_CMD_REPLY;
}

/* Append at most cap - 1 - *n bytes of str to out. */
static void append(char *out, size_t cap, size_t *n, const char *str,
                   size_t slen)
{
    if (*n + 1 >= cap)
        return;
    if (slen > cap - 1 - *n)
        slen = cap - 1 - *n;
    memcpy(out + *n, str, slen);
    *n += slen;
    out[*n] = '\0';
}

/*
 * "monitor  help " means "monitor help": drop leading and trailing
 * whitespace and turn each run of it inside into one space, in place, so
 * that every monitor command and its arguments parse alike.
 */
static void squeeze_blanks(char *cmd)
{
    char *o = cmd;

    for (const char *p = cmd; *p; p++) {
        if (!strchr(" \t\n\r\f\v", *p))
            *o++ = *p;
        else if (o != cmd && o[-1] != ' ')
            *o++ = ' ';
    }
    if (o != cmd && o[-1] == ' ')
        o--;
    *o = '\0';
}

/* qRcmd,hex-command */
static enum gdb_cmd_result rcmd(struct gdb_cmd *s, const char *p,
                                const char *end, char *reply, size_t cap,
                                size_t *len)
{
    size_t hlen = (size_t)(end - p), tcap, n = 0;
    char *cmd = (char *)s->buf, *out = s->text;
    int r;

    if (hlen % 2 || rsp_hex_decode(p, hlen, cmd) < 0)
        return gdb_cmd_reply_err(1, reply, cap, len);
    cmd[hlen / 2] = '\0';
    if (strlen(cmd) != hlen / 2)
        return gdb_cmd_reply_err(1, reply, cap, len); /* embedded NUL */
    squeeze_blanks(cmd);
    /* Output goes back hex-encoded: two characters per byte. */
    tcap = (cap - 1) / 2 + 1;
    if (tcap > RSP_MAX_PACKET / 2 + 1)
        tcap = RSP_MAX_PACKET / 2 + 1;
    out[0] = '\0';
    /* A bare `monitor` lists the commands, as `monitor help`. */
    if (strcmp(cmd, "help") == 0 || cmd[0] == '\0') {
        append(out, tcap, &n, monitor_help, strlen(monitor_help));
        if (s->ops->set_console_sink)
            append(out, tcap, &n, help_console, strlen(help_console));
        if (s->ops->read_phys)
            append(out, tcap, &n, help_xp, strlen(help_xp));
        r = s->ops->monitor(s->ctx, "help", out + n, tcap - n);
        if (r > 0)
            n += strlen(out + n);
        else
            out[n] = '\0';
    } else if (strcmp(cmd, "pc") == 0 || strncmp(cmd, "pc ", 3) == 0) {
        /* pc [linear|offset] */
        if (strcmp(cmd, "pc linear") == 0)
            s->pc_offset = false;
        else if (strcmp(cmd, "pc offset") == 0)
            s->pc_offset = true;
        else if (strcmp(cmd, "pc") != 0)
            return gdb_cmd_reply_err(EINVAL, reply, cap, len);
        n = (size_t)snprintf(
            out, tcap, "%s\n",
            s->pc_offset
                ? "pc: offset (gdb's pc is IP; breakpoints stay linear)"
                : "pc: linear (gdb's pc is CS base + IP, as breakpoints)");
    } else if (strcmp(cmd, "breakpoints") == 0) {
        n = describe(s, out, tcap);
    } else if ((r = gdb_cmd_views_monitor(s, cmd, out, tcap)) != -ENOENT) {
        /* console ..., xp ...: a usage message with the error */
        out[tcap - 1] = '\0';
        n = strlen(out);
    } else {
        r = s->ops->monitor(s->ctx, cmd, out, tcap);
        if (r < 0 && r != -ENOENT)
            return gdb_cmd_reply_err(r, reply, cap, len);
        out[tcap - 1] = '\0';
        n = strlen(out);
    }
    if (n == 0)
        return gdb_cmd_reply_str("OK", reply, cap, len);
    rsp_hex_encode(out, n, reply);
    *len = 2 * n;
    return GDB_CMD_REPLY;
}

/*
 * qHostInfo and qProcessInfo (lldb's extensions to the RSP, lldb's
 * docs/lldb-gdb-remote.txt): lldb takes the target's architecture from
 * the triple given here, and without one cannot use target.xml (lldb has
 * no i8086: 16-bit code is described as i386). pid 1, as qC says.
 */
static enum gdb_cmd_result lldb_info(struct gdb_cmd *s, bool process,
                                     char *reply, size_t cap, size_t *len)
{
    const char *triple;
    char hex[64], out[192];
    int r;

    if ((r = gdb_cmd_fix_arch(s)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    triple = s->arch == GDB_ARCH_X86_64 ? "x86_64-unknown-unknown"
             : s->arch == GDB_ARCH_I386 ? "i386-unknown-unknown"
                                        : "i386-unknown-unknown-code16";
    rsp_hex_encode(triple, strlen(triple), hex);
    hex[2 * strlen(triple)] = '\0';
    snprintf(out, sizeof(out),
             "%striple:%s;ostype:unknown;endian:little;ptrsize:%d;",
             process ? "pid:1;" : "", hex, s->arch == GDB_ARCH_X86_64 ? 8 : 4);
    return gdb_cmd_reply_str(out, reply, cap, len);
}

/* "m1,2,...,n" */
static enum gdb_cmd_result thread_list(struct gdb_cmd *s, char *reply,
                                       size_t cap, size_t *len)
{
    size_t n = 0;

    for (int t = 0; t < s->nthreads && n + 12 < cap; t++)
        n += (size_t)snprintf(reply + n, cap - n, "%c%x", t ? ',' : 'm',
                              (unsigned)t + 1);
    *len = n;
    return GDB_CMD_REPLY;
}

/* qThreadExtraInfo,tid: the target's words about it, hex-encoded. */
static enum gdb_cmd_result thread_extra(struct gdb_cmd *s, const char *p,
                                        const char *end, char *reply,
                                        size_t cap, size_t *len)
{
    uint64_t tid;
    char text[128];
    int n;

    if (!gdb_cmd_parse_hex(&p, end, &tid) || p != end || tid == 0 ||
        tid > (uint64_t)s->nthreads)
        return gdb_cmd_reply_err(1, reply, cap, len);
    if (s->ops->thread_info)
        n = s->ops->thread_info(s->ctx, (int)tid - 1, text, sizeof(text));
    else
        n = snprintf(text, sizeof(text), "CPU#%d", (int)tid - 1);
    if (n < 0)
        return gdb_cmd_reply_err(n, reply, cap, len);
    if ((size_t)n >= sizeof(text))
        n = (int)sizeof(text) - 1;
    rsp_hex_encode(text, (size_t)n, reply);
    *len = 2 * (size_t)n;
    return GDB_CMD_REPLY;
}

enum gdb_cmd_result gdb_cmd_query(struct gdb_cmd *s, const char *pkt,
                                  size_t len, char *reply, size_t cap,
                                  size_t *reply_len)
{
    const char *end = pkt + len;

    /* qSupported[:gdbfeature;...] */
    if (is(pkt, len, "qSupported") || has_prefix(pkt, len, "qSupported:")) {
        s->exec_events = has_feature(pkt, len, "exec-events+");
        gdb_cmd_reply_str(gdb_cmd_is_recording(s) ? supported_rec : supported,
                          reply, cap, reply_len);
        if (s->exec_events && *reply_len + 13 <= cap) {
            memcpy(reply + *reply_len, ";exec-events+", 13);
            *reply_len += 13;
        }
        if (gdb_cmd_has_memory_map(s) && *reply_len + 24 <= cap) {
            memcpy(reply + *reply_len, ";qXfer:memory-map:read+", 23);
            *reply_len += 23;
        }
        return GDB_CMD_REPLY;
    }
    /* QStartNoAckMode */
    if (is(pkt, len, "QStartNoAckMode")) {
        gdb_cmd_reply_str("OK", reply, cap, reply_len);
        return GDB_CMD_NOACK;
    }
    /* qC */
    if (is(pkt, len, "qC")) {
        char qc[16];
        snprintf(qc, sizeof(qc), "QC%x", (unsigned)s->g_thread + 1);
        return gdb_cmd_reply_str(qc, reply, cap, reply_len);
    }
    /* qfThreadInfo: every thread in one reply (ids 1..n, hex) */
    if (is(pkt, len, "qfThreadInfo"))
        return thread_list(s, reply, cap, reply_len);
    /* qThreadExtraInfo,thread-id */
    if (has_prefix(pkt, len, "qThreadExtraInfo,"))
        return thread_extra(s, pkt + 17, end, reply, cap, reply_len);
    /* qsThreadInfo */
    if (is(pkt, len, "qsThreadInfo"))
        return gdb_cmd_reply_str("l", reply, cap, reply_len);
    /* qAttached[:pid] */
    if (is(pkt, len, "qAttached") || has_prefix(pkt, len, "qAttached:"))
        return gdb_cmd_reply_str("1", reply, cap, reply_len);
    /* qHostInfo, qProcessInfo (lldb) */
    if (is(pkt, len, "qHostInfo") || is(pkt, len, "qProcessInfo"))
        return lldb_info(s, pkt[1] == 'P', reply, cap, reply_len);
    /* qWatchpointSupportInfo[:] (lldb): the four debug registers */
    if (is(pkt, len, "qWatchpointSupportInfo") ||
        is(pkt, len, "qWatchpointSupportInfo:"))
        return gdb_cmd_reply_str("num:4;", reply, cap, reply_len);
    /* qXfer:features:read:annex:offset,length */
    if (has_prefix(pkt, len, "qXfer:features:read:"))
        return xfer_features(s, pkt + 20, end, reply, cap, reply_len);
    /* qXfer:memory-map:read::offset,length */
    if (has_prefix(pkt, len, "qXfer:memory-map:read:"))
        return gdb_cmd_xfer_memory_map(s, pkt + 22, end, reply, cap, reply_len);
    /* Qqemu.PhyMemMode:0|1, qqemu.PhyMemMode */
    if (has_prefix(pkt, len, "Qqemu.PhyMemMode:") ||
        is(pkt, len, "qqemu.PhyMemMode"))
        return gdb_cmd_phy_mem_mode(s, pkt, len, reply, cap, reply_len);
    /* qRcmd,command-hex */
    if (has_prefix(pkt, len, "qRcmd,"))
        return rcmd(s, pkt + 6, end, reply, cap, reply_len);
    *reply_len = 0;
    return GDB_CMD_REPLY;
}
