/*
 * Fuzz harness: the command writer's pure core, gw_resp_format_command
 * (parsers/resp/resp-write.c), formatted and read back by the event reader.
 *
 * Input: byte 0, signed, is the buffer's capacity less the length the
 * command needs (clamped at 0), so that buffers too small by a few bytes,
 * exact, and larger are all tried; byte 1, bit 0: arguments with lengths
 * (argl) or NUL-terminated (argl NULL), bits 1-7 (b) the capacity of the
 * bufwriter that gw_resp_write_command writes through, 1 + b * b (1 to
 * 16,130 bytes, either side of GW_RESP_WRITE_DIRECT); the rest is the arguments, each a
 * length byte b then its bytes: b < 0xf0 takes the next b bytes (fewer at
 * the end of the input), b >= 0xf0 is (b - 0xef) x 4099 copies of the next
 * byte, for lengths of four to five digits (while the arguments total
 * less than 1 MiB; past that, b >= 0xf0 is read as b bytes too).
 * NUL-terminated, an argument ends at its first NUL.
 *
 * Properties:
 *   - the result is the exact length of the encoding, computed here apart,
 *     whatever the capacity (the header: "more than cap if it did not fit");
 *   - nothing is written past cap: the buffer is exactly cap bytes (ASan),
 *     and a second one has guard bytes after cap that must stay untouched;
 *   - when it fits, the reader reads back exactly one array of argc bulk
 *     strings, the arguments byte for byte, at depth 1, and its end, with
 *     nothing left over;
 *   - gw_resp_write_command, through that bufwriter into a memory pipe
 *     (large enough never to wait), writes exactly the same bytes: the
 *     writer's paths (straight into the buffer's free space, through
 *     gw_write, arguments of GW_RESP_WRITE_DIRECT bytes or more written
 *     from the caller's memory) agree with the pure core.
 */
#include <stdlib.h>
#include <string.h>

#include <genwire/resp.h>

#include "fuzz.h"

#define RC_MAXARGS 4096
#define RC_GUARD   32
#define RC_BIG     ((size_t)1 << 20)
#define RC_NOWAIT  "no wait: the pipe holds the whole command"

/* The length of the decimal of v. */
static size_t digits(size_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Writes the command with gw_resp_write_command through a bufwriter of
 * bwcap bytes; requires exactly want[0..n). */
static void write_back(const uint8_t *want, size_t n, size_t bwcap, size_t argc, char **argv,
                       const size_t *argl)
{
    gw_mempipe pipe;
    gw_bufwriter bw;
    gw_resp_writer w;

    fz_check(gw_mempipe_init(&pipe, n + 1) == 0, "pipe");
    fz_check(gw_bufwriter_init(&bw, &pipe.w, bwcap) == 0, "bufwriter");
    gw_resp_writer_init(&w, &bw);
    fz_check(fz_run_now(gw_resp_write_command(&w, argc, (const char *const *)argv, argl),
                        RC_NOWAIT) == 0,
             "the command is written");
    fz_check(fz_run_now(gw_flush(&bw.w), RC_NOWAIT) == 0, "and flushed");
    fz_check(pipe.end - pipe.pos == n && memcmp(pipe.buf + pipe.pos, want, n) == 0,
             "the writer writes what gw_resp_format_command formats");
    gw_bufwriter_fini(&bw);
    gw_mempipe_fini(&pipe);
}

/* Reads out[0..n) back: exactly the command argv/len of argc arguments. */
static void read_back(const uint8_t *out, size_t n, size_t argc, char **argv, const size_t *len)
{
    gw_bufreader br;
    gw_resp_reader rd;
    const gw_resp_event *ev = &rd.ev;
    size_t i;

    gw_bufreader_init_mem(&br, out, n);
    fz_check(gw_resp_reader_init(&rd, &br, NULL) == 0, "reader");
    fz_check(gw_resp_try_next(&rd) == 1 && ev->type == GW_RESP_ARRAY && ev->depth == 0 &&
                 ev->integer == (int64_t)argc && ev->flags == 0,
             "an array of argc members");
    for (i = 0; i < argc; i++) {
        fz_check(gw_resp_try_next(&rd) == 1, "each argument reads back");
        fz_check(ev->type == GW_RESP_BULK && ev->wire == '$' && ev->depth == 1 && ev->flags == 0,
                 "a whole bulk string in the array");
        fz_check(ev->len == len[i] && ev->size == len[i] &&
                     (len[i] == 0 || memcmp(ev->data, argv[i], len[i]) == 0),
                 "the argument's bytes");
    }
    fz_check(gw_resp_try_next(&rd) == 1 && ev->type == GW_RESP_END && ev->agg == GW_RESP_ARRAY &&
                 ev->depth == 0,
             "the array ends after argc members");
    fz_check(gw_bufreader_avail(&br) == 0 && gw_resp_reader_idle(&rd), "nothing left over");
    gw_resp_reader_fini(&rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *argv[RC_MAXARGS];
    static size_t len[RC_MAXARGS];
    size_t argc = 0, pos = 2, total = 0, need, cap, i, got;
    int delta, with_len;
    uint8_t *exact, *guarded;

    if (size < 2)
        return 0;
    delta = (int8_t)data[0];
    with_len = data[1] & 1;
    while (pos < size && argc < RC_MAXARGS) {
        uint8_t b = data[pos++];
        size_t n;
        if (b < 0xf0 || total >= RC_BIG) {
            n = b < size - pos ? b : size - pos;
            argv[argc] = malloc(n + 1);
            fz_check(argv[argc] != NULL, "memory");
            if (n > 0)
                memcpy(argv[argc], data + pos, n);
            pos += n;
        } else {
            uint8_t fill = pos < size ? data[pos++] : 'x';
            n = (size_t)(b - 0xef) * 4099;
            argv[argc] = malloc(n + 1);
            fz_check(argv[argc] != NULL, "memory");
            memset(argv[argc], fill, n);
        }
        argv[argc][n] = 0;
        total += n;
        len[argc] = with_len ? n : strlen(argv[argc]);
        argc++;
    }
    need = 1 + digits(argc) + 2;
    for (i = 0; i < argc; i++)
        need += 1 + digits(len[i]) + 2 + len[i] + 2;
    cap = delta < 0 && (size_t)-delta > need ? 0 : need + delta;

    fz_check(gw_resp_format_command(NULL, 0, argc, (const char *const *)argv,
                                    with_len ? len : NULL) == need,
             "the size query gives the exact length");
    exact = malloc(cap > 0 ? cap : 1);
    guarded = malloc(cap + RC_GUARD);
    fz_check(exact != NULL && guarded != NULL, "memory");
    memset(guarded, 0xa5, cap + RC_GUARD);
    got =
        gw_resp_format_command(exact, cap, argc, (const char *const *)argv, with_len ? len : NULL);
    fz_check(got == need, "the exact length, whatever the capacity");
    fz_check(gw_resp_format_command(guarded, cap, argc, (const char *const *)argv,
                                    with_len ? len : NULL) == need,
             "the same length again");
    for (i = cap; i < cap + RC_GUARD; i++)
        fz_check(guarded[i] == 0xa5, "nothing written past the buffer");
    if (need <= cap) {
        fz_check(memcmp(exact, guarded, need) == 0, "the same bytes in both buffers");
        read_back(exact, need, argc, argv, len);
    } else {
        free(exact);
        exact = malloc(need);
        fz_check(exact != NULL, "memory");
        fz_check(gw_resp_format_command(exact, need, argc, (const char *const *)argv,
                                        with_len ? len : NULL) == need,
                 "it fits in what it asked for");
        read_back(exact, need, argc, argv, len);
    }
    write_back(exact, need, 1 + (size_t)(data[1] >> 1) * (data[1] >> 1), argc, argv,
               with_len ? len : NULL);
    free(exact);
    free(guarded);
    for (i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
