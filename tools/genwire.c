/*
 * genwire: the command-line tool.  A pipe-through decoder and encoder for any
 * stack of layers, standard input to standard output:
 *
 *     genwire encode secretstream,gzip,u32be --key k < lines > wire
 *     genwire decode secretstream,gzip,u32be --key k --format json < wire
 *
 * This file is the command line: the commands, the options and their help,
 * STACK parsing (through the layer table, layers.c) and keygen.  decode.c
 * and encode.c run the two directions; tool.h says how the files fit.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genwire/compress.h>
#include <genwire/crypt.h>
#include <genwire/frame.h>
#include <genwire/version.h>

#include "tool.h"

const char *progname = "genwire";

void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", progname);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
}

/* Prints text after a label, wrapped at 78 columns, later lines indented. */
static void print_wrapped(const char *label, const char *text)
{
    size_t col = strlen(label);
    const char *p = text;

    fputs(label, stdout);
    while (*p != '\0') {
        size_t w = strcspn(p, " ");
        if (col + 1 + w > 78) {
            fputs("\n ", stdout);
            col = 1;
        }
        printf(" %.*s", (int)w, p);
        col += 1 + w;
        p += w;
        p += strspn(p, " ");
    }
    fputs("\n", stdout);
}

/* The main help; the layer names come from the table. */
static void main_help(void)
{
    char names[512];

    printf("Usage: genwire COMMAND [OPTIONS] ...\n"
           "Decode or encode a stream through a stack of protocol layers, standard\n"
           "input to standard output.\n"
           "\n"
           "Commands:\n"
           "  decode [OPTIONS] STACK   decode standard input, write the payload\n"
           "  encode [OPTIONS] STACK   encode standard input into STACK's wire format\n"
           "  keygen FILE              write a new secretstream key to FILE (mode 0600)\n"
           "\n"
           "STACK lists layers from the wire inward, separated by commas, e.g.\n"
           "secretstream,gzip,u32be.\n");
    layer_names(LAYER_BYTES, names, sizeof(names));
    print_wrapped("Byte layers, any number:", names);
    layer_names(LAYER_RECORDS, names, sizeof(names));
    print_wrapped("At most one record layer, last:", names);
    layer_names(LAYER_MESSAGES, names, sizeof(names));
    if (names[0] != '\0')
        print_wrapped("Or one message layer, last:", names);
    printf("\n"
           "Run 'genwire decode --help' or 'genwire encode --help' for the options.\n"
           "  -h, --help      show this help\n"
           "  -V, --version   show the version\n"
           "\n"
           "Exit status: 0 success, 1 bad input or I/O error, 2 bad command line.\n");
}

static const char decode_help[] =
    "Usage: genwire decode [OPTIONS] STACK\n"
    "Decode standard input through STACK (layers from the wire inward) and\n"
    "write the result to standard output.  With a record layer, each record\n"
    "is written per --format; without one, the decoded bytes.\n"
    "\n"
    "Options:\n"
    "  --format FMT       raw (payloads back to back, the default), lines (one\n"
    "                     record a line), hex (one record a line, in hex), json\n"
    "                     (JSON Lines: {\"offset\": N, \"length\": N, \"text\": \"...\"}\n"
    "                     or \"base64\" instead of \"text\" when not UTF-8)\n"
    "  --key FILE         the key file for secretstream (64 hex digits, mode 0600)\n"
    "  --max-record N     largest record in bytes (default 8388608)\n"
    "  --max-output N     largest decompressed size per compression layer\n"
    "                     (default 4294967296)\n"
    "  --progress         show progress on standard error\n"
    "  --no-progress      do not (default: show it when standard error is a\n"
    "                     terminal)\n"
    "  -h, --help         show this help\n"
    "\n"
    "An error names the layer and the byte offset in that layer's input, e.g.\n"
    "  genwire: gzip: invalid distance too far back at byte 1234\n"
    "and exits with status 1, after writing what was decoded before it.\n";

static const char encode_help[] =
    "Usage: genwire encode [OPTIONS] STACK\n"
    "Encode standard input into STACK's wire format (layers from the wire\n"
    "inward) on standard output; 'genwire decode STACK' reads it back.  With a\n"
    "record layer, each input line (or JSON object) is one record; without\n"
    "one, the input bytes are the payload.\n"
    "\n"
    "Options:\n"
    "  --input FMT        lines (each line a record, LF or CR LF ended; the\n"
    "                     default) or json (one object a line, its \"text\" or\n"
    "                     \"base64\" member the record; other members ignored,\n"
    "                     so the output of 'decode --format json' encodes back)\n"
    "  --key FILE         the key file for secretstream\n"
    "  --level N          compression level 0-9 (default 6)\n"
    "  --max-record N     largest record in bytes (default 8388608)\n"
    "  --progress, --no-progress   as for decode\n"
    "  -h, --help         show this help\n";

/* Parses a non-negative decimal number. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Parses STACK into layers; returns the count, or -1 after a usage error. */
static int parse_stack(const char *stack, layer *ls)
{
    char buf[256];
    char *save = NULL, *tok;
    int n = 0;

    if (strlen(stack) >= sizeof(buf) || stack[0] == '\0') {
        usage_error("bad STACK '%s'", stack);
        return -1;
    }
    strcpy(buf, stack);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        const layer_row *row;

        if (n == MAX_LAYERS) {
            usage_error("STACK '%s' has too many layers", stack);
            return -1;
        }
        if (n > 0 && ls[n - 1].row->kind != LAYER_BYTES) {
            usage_error("the record layer must be the last in STACK '%s'", stack);
            return -1;
        }
        if ((row = layer_find(tok)) == NULL) {
            usage_error("unknown layer '%s' (see --help for the list)", tok);
            return -1;
        }
        memset(&ls[n], 0, sizeof(ls[n]));
        ls[n].row = row;
        ls[n].pos = n + 1;
        n++;
    }
    if (n == 0) {
        usage_error("bad STACK '%s'", stack);
        return -1;
    }
    return n;
}

/* Loads the key if a layer of the stack needs one. */
static int need_key(const options *o, const layer *ls, int n, gw_key **key)
{
    int i, err;

    for (i = 0; i < n; i++)
        if (ls[i].row->opts & OPT_KEY)
            break;
    if (i == n)
        return 0;
    if (o->key == NULL) {
        usage_error("%s needs --key FILE", ls[i].row->name);
        return EXIT_USAGE;
    }
    if ((err = gw_key_load(key, o->key)) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, o->key,
                err == GW_EIO ? strerror(errno) : gw_strerror(err));
        return EXIT_DATA;
    }
    return 0;
}

static int do_keygen(int argc, char **argv)
{
    int err;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: genwire keygen FILE\n"
               "Write a new random secretstream key to FILE as 64 hex digits and a\n"
               "newline, with mode 0600.  An existing FILE is never overwritten.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage_error("%s", "keygen takes one argument, the key file to create");
        return EXIT_USAGE;
    }
    if ((err = gw_keygen_file(argv[1])) != 0) {
        fprintf(stderr, "%s: %s: %s\n", progname, argv[1],
                err == GW_EIO ? strerror(errno) : gw_strerror(err));
        return EXIT_DATA;
    }
    return 0;
}

/* Parses the options of decode or encode; returns 0, or an exit status + 1. */
static int parse_options(int argc, char **argv, options *o)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--format") == 0 || strcmp(a, "--input") == 0 ||
                    strcmp(a, "--key") == 0 || strcmp(a, "--max-record") == 0 ||
                    strcmp(a, "--max-output") == 0 || strcmp(a, "--level") == 0;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(o->encode ? encode_help : decode_help, stdout);
            return 1;
        }
        if (takes && v == NULL) {
            usage_error("option '%s' needs a value", a);
            return 1 + EXIT_USAGE;
        }
        if (strcmp(a, "--format") == 0 && !o->encode) {
            if (strcmp(v, "raw") == 0)
                o->format = OUT_RAW;
            else if (strcmp(v, "lines") == 0)
                o->format = OUT_LINES;
            else if (strcmp(v, "hex") == 0)
                o->format = OUT_HEX;
            else if (strcmp(v, "json") == 0)
                o->format = OUT_JSON;
            else {
                usage_error("unknown --format '%s' (raw, lines, hex, json)", v);
                return 1 + EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--input") == 0 && o->encode) {
            if (strcmp(v, "lines") == 0)
                o->input = IN_LINES;
            else if (strcmp(v, "json") == 0)
                o->input = IN_JSON;
            else {
                usage_error("unknown --input '%s' (lines, json)", v);
                return 1 + EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--key") == 0) {
            o->key = v;
            i++;
        } else if (strcmp(a, "--max-record") == 0 ||
                   (strcmp(a, "--max-output") == 0 && !o->encode)) {
            uint64_t x;
            if (parse_u64(v, &x) != 0 || x == 0) {
                usage_error("'%s' is not a positive number", v);
                return 1 + EXIT_USAGE;
            }
            if (strcmp(a, "--max-record") == 0)
                o->max_record = x;
            else
                o->max_output = x;
            i++;
        } else if (strcmp(a, "--level") == 0 && o->encode) {
            if (strlen(v) != 1 || v[0] < '0' || v[0] > '9') {
                usage_error("--level takes 0 to 9, not '%s'", v);
                return 1 + EXIT_USAGE;
            }
            o->level = v[0] - '0';
            i++;
        } else if (strcmp(a, "--progress") == 0) {
            o->progress = 1;
        } else if (strcmp(a, "--no-progress") == 0) {
            o->progress = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            usage_error("unknown option '%s'", a);
            return 1 + EXIT_USAGE;
        } else if (o->stack == NULL) {
            o->stack = a;
        } else {
            usage_error("unexpected argument '%s'", a);
            return 1 + EXIT_USAGE;
        }
    }
    if (o->stack == NULL) {
        usage_error("%s needs a STACK, e.g. gzip,u32be", o->encode ? "encode" : "decode");
        return 1 + EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    layer ls[MAX_LAYERS];
    gw_key *key = NULL;
    int n, r, status;

    if (argc < 2) {
        usage_error("%s", "a command is needed: decode, encode or keygen");
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        main_help();
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("genwire %s\n", gw_version());
        return 0;
    }
    if (strcmp(argv[1], "keygen") == 0)
        return do_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "decode") != 0 && strcmp(argv[1], "encode") != 0) {
        usage_error("unknown command '%s' (decode, encode, keygen)", argv[1]);
        return EXIT_USAGE;
    }
    memset(&o, 0, sizeof(o));
    o.encode = strcmp(argv[1], "encode") == 0;
    o.max_record = GW_FRAME_DEFAULT_MAX_RECORD;
    o.max_output = 4ull << 30;
    o.level = GW_DEFLATE_DEFAULT_LEVEL;
    o.progress = -1;
    if ((r = parse_options(argc - 1, argv + 1, &o)) != 0)
        return r - 1;
    if (o.progress < 0)
        o.progress = isatty(2);
    if ((n = parse_stack(o.stack, ls)) < 0)
        return EXIT_USAGE;
    if ((r = need_key(&o, ls, n, &key)) != 0)
        return r;

    signals_init();
    status = o.encode ? do_encode(&o, ls, n, key) : do_decode(&o, ls, n, key);
    gw_key_free(key);
    restore_flags();
    if (status == -SIGPIPE) {
        /* End as a writer to a closed pipe ends, quietly. */
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE);
        return 0;
    }
    return status;
}
