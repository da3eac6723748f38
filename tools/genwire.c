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
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <genwire/compress.h>
#include <genwire/crypt.h>
#include <genwire/frame.h>
#include <genwire/version.h>

#include "tool.h"

const char *progname = "genwire";

void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
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
    "  --max-record N     the largest record in bytes, a line's included (1 to\n"
    "                     1073741824; default 8388608)\n"
    "  --max-output N     the most bytes each compression layer may produce (1\n"
    "                     to 18446744073709551615; default 4294967296)\n"
    "  --inflate-backend NAME  the library that decompresses: default (isal where\n"
    "                     built in, else zlib), zlib or isal; see --version\n"
    "  --progress         show progress on standard error\n"
    "  --no-progress      do not (default: show it when standard error is a\n"
    "                     terminal)\n"
    "  -h, --help         show this help\n"
    "A value may also follow '=' (--format=json); '--' ends the options.  An\n"
    "option no layer of STACK takes is refused.\n"
    "\n"
    "An error names the layer and the byte offset in that layer's input, e.g.\n"
    "  genwire: gzip: invalid distance too far back at byte 1234\n"
    "and exits with status 1, after writing what was decoded before it.  A\n"
    "regular file on standard input that shrinks while it is read is such an\n"
    "error: 'standard input (FILE): the file shrank to N bytes while it was\n"
    "read, at byte K'.\n";

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
    "                     so the output of 'decode --format json' encodes back;\n"
    "                     json is the only one for http-request, http-response)\n"
    "  --key FILE         the key file for secretstream\n"
    "  --level N          compression level, 0 (store) to 9 (default 6)\n"
    "  --max-record N     the largest record in bytes, a line's included (1 to\n"
    "                     1073741824; default 8388608)\n"
    "  --progress, --no-progress   as for decode\n"
    "  -h, --help         show this help\n"
    "A value may also follow '=' (--level=9); '--' ends the options.  An\n"
    "option no layer of STACK takes is refused.\n"
    "\n"
    "With http-request or http-response last, each input line is one JSON\n"
    "object as 'decode' writes it (\"method\" and \"target\", or \"status\" and\n"
    "\"reason\"; \"version\", \"headers\", \"text\" or \"base64\"; \"chunked\": true\n"
    "for chunked framing); a Content-Length is added when no header frames the\n"
    "body, and what decode would refuse is an error (see genwire(1)).\n"
    "\n"
    "On an error in the input, what was encoded before it is written out,\n"
    "decodable but unfinished, and the exit status is 1.\n";

/* Parses STACK into layers; returns the count, or -1 after a usage error. */
static int parse_stack(const char *stack, layer *ls)
{
    const char *p = stack;
    int n = 0;

    for (;;) {
        size_t len = strcspn(p, ",");
        char name[64];
        const layer_row *row;

        if (len == 0) {
            usage_error("STACK '%s' has an empty layer name at position %d", stack, n + 1);
            return -1;
        }
        if (n == MAX_LAYERS) {
            usage_error("STACK '%s' has more than %d layers", stack, MAX_LAYERS);
            return -1;
        }
        if (n > 0 && ls[n - 1].row->kind != LAYER_BYTES) {
            usage_error("the %s layer must be the last in STACK '%s'",
                        ls[n - 1].row->kind == LAYER_RECORDS ? "record" : "message", stack);
            return -1;
        }
        snprintf(name, sizeof(name), "%.*s", (int)len, p);
        if ((row = layer_find(name)) == NULL || len >= sizeof(name)) {
            usage_error("unknown layer '%.*s' (see --help for the list)", (int)len, p);
            return -1;
        }
        memset(&ls[n], 0, sizeof(ls[n]));
        ls[n].row = row;
        ls[n].pos = n + 1;
        n++;
        if (p[len] == '\0')
            return n;
        p += len + 1;
    }
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
        struct stat st;
        const char *why = err == GW_EIO ? strerror(errno) : gw_strerror(err);
        /* Refused before reading: say what the path is instead. */
        if (err == GW_EKEY_FORMAT && stat(o->key, &st) == 0 && !S_ISREG(st.st_mode))
            why = S_ISDIR(st.st_mode)    ? "is a directory, not a key file"
                  : S_ISFIFO(st.st_mode) ? "is a pipe, not a key file"
                  : S_ISSOCK(st.st_mode) ? "is a socket, not a key file"
                                         : "is a device, not a key file";
        fprintf(stderr, "%s: --key %s: %s\n", progname, o->key, why);
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

/* The options of decode and encode. */
typedef struct option_def {
    const char *name; /* "--format" */
    unsigned opt;     /* its OPT_* bit, or 0 */
    int value;        /* it takes a value */
    int commands;     /* 1 decode, 2 encode, 3 both */
} option_def;

static const option_def option_defs[] = {
    {"--format", OPT_FORMAT, 1, 1},
    {"--input", OPT_INPUT, 1, 2},
    {"--key", OPT_KEY, 1, 3},
    {"--max-record", OPT_MAX_RECORD, 1, 3},
    {"--max-output", OPT_MAX_OUTPUT, 1, 1},
    {"--inflate-backend", OPT_INFLATE_BACKEND, 1, 1},
    {"--level", OPT_LEVEL, 1, 2},
    {"--progress", 0, 0, 3},
    {"--no-progress", 0, 0, 3},
    {"--help", 0, 0, 3},
    {"-h", 0, 0, 3},
};

/* The bounds of the numeric options: what the buffers they size can take. */
#define MAX_RECORD_BOUND (1ull << 30)

/* Parses v as a decimal number from lo to hi for option `name` into *out;
 * returns 0, or -1 after a usage error that says the bounds. */
static int parse_number(const char *name, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t x = 0;
    const char *p = v;

    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            break;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (*v == '\0' || *p != '\0' || x < lo || x > hi) {
        usage_error("%s takes a number from %" PRIu64 " to %" PRIu64 ", not '%s'", name, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* Picks v out of the names in `names` (NULL-ended) for option `name`;
 * returns its index, or -1 after a usage error. */
static int parse_choice(const char *name, const char *v, const char *const *names, const char *list)
{
    int k;

    for (k = 0; names[k] != NULL; k++)
        if (strcmp(v, names[k]) == 0)
            return k;
    usage_error("unknown %s '%s' (%s)", name, v, list);
    return -1;
}

/* Sets the option d to v; returns 0 or -1 after a usage error. */
static int set_option(options *o, const option_def *d, const char *v)
{
    static const char *const formats[] = {"raw", "lines", "hex", "json", NULL};
    static const char *const inputs[] = {"lines", "json", NULL};
    uint64_t x;
    int k;

    switch (d->opt) {
    case OPT_FORMAT:
        if ((k = parse_choice(d->name, v, formats, "raw, lines, hex, json")) < 0)
            return -1;
        o->format = (enum out_format)k;
        break;
    case OPT_INPUT:
        if ((k = parse_choice(d->name, v, inputs, "lines, json")) < 0)
            return -1;
        o->input = (enum in_format)k;
        break;
    case OPT_KEY:
        o->key = v;
        break;
    case OPT_MAX_RECORD:
        if (parse_number(d->name, v, 1, MAX_RECORD_BOUND, &o->max_record) != 0)
            return -1;
        break;
    case OPT_MAX_OUTPUT:
        if (parse_number(d->name, v, 1, UINT64_MAX, &o->max_output) != 0)
            return -1;
        break;
    case OPT_INFLATE_BACKEND: {
        gw_inflate_backend b;
        if (gw_inflate_backend_parse(v, &b) != 0 || !gw_inflate_backend_available(b)) {
            usage_error("%s: '%s' is not built in (default, zlib%s)", d->name, v,
                        gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL) ? ", isal" : "");
            return -1;
        }
        o->inflate_backend = (int)b;
        break;
    }
    case OPT_LEVEL:
        if (parse_number(d->name, v, 0, 9, &x) != 0)
            return -1;
        o->level = (int)x;
        break;
    default:
        o->progress = strcmp(d->name, "--progress") == 0;
        break;
    }
    o->given |= d->opt;
    return 0;
}

/* Parses the options of decode or encode; returns 0, or an exit status + 1.
 * A value follows its option as the next argument or after '='; '--' ends
 * the options. */
static int parse_options(int argc, char **argv, options *o)
{
    const char *cmd = o->encode ? "encode" : "decode";
    int i, k, options_end = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL, *eq;
        const option_def *d = NULL;
        size_t len;

        if (!options_end && strcmp(a, "--") == 0) {
            options_end = 1;
            continue;
        }
        if (options_end || a[0] != '-' || a[1] == '\0') {
            if (o->stack != NULL) {
                usage_error("unexpected argument '%s'", a);
                return 1 + EXIT_USAGE;
            }
            o->stack = a;
            continue;
        }
        eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        len = eq != NULL ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < (int)(sizeof(option_defs) / sizeof(option_defs[0])); k++)
            if (strlen(option_defs[k].name) == len && strncmp(a, option_defs[k].name, len) == 0)
                d = &option_defs[k];
        if (d == NULL) {
            usage_error("unknown option '%s'", a);
            return 1 + EXIT_USAGE;
        }
        if (!(d->commands & (o->encode ? 2 : 1))) {
            usage_error("option '%.*s' is for %s only", (int)len, a,
                        o->encode ? "decode" : "encode");
            return 1 + EXIT_USAGE;
        }
        if (strcmp(d->name, "--help") == 0 || strcmp(d->name, "-h") == 0) {
            fputs(o->encode ? encode_help : decode_help, stdout);
            return 1;
        }
        if (d->value) {
            v = eq != NULL ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (v == NULL) {
                usage_error("option '%s' needs a value", a);
                return 1 + EXIT_USAGE;
            }
        } else if (eq != NULL) {
            usage_error("option '%.*s' takes no value", (int)len, a);
            return 1 + EXIT_USAGE;
        }
        if (set_option(o, d, v) != 0)
            return 1 + EXIT_USAGE;
    }
    if (o->stack == NULL) {
        usage_error("%s needs a STACK, e.g. gzip,u32be", cmd);
        return 1 + EXIT_USAGE;
    }
    return 0;
}

/* Refuses an option that no layer of the stack takes; returns 0 or -1 after
 * a usage error that says which layers take it. */
static int check_options(const options *o, const layer *ls, int n)
{
    size_t k;

    for (k = 0; k < sizeof(option_defs) / sizeof(option_defs[0]); k++) {
        const option_def *d = &option_defs[k];
        char users[256];
        int i;

        if (!(o->given & d->opt))
            continue;
        for (i = 0; i < n; i++)
            if (ls[i].row->opts & d->opt)
                break;
        if (i < n)
            continue;
        layer_users(d->opt, users, sizeof(users));
        usage_error("%s has no effect: no layer of STACK '%s' takes it (it is for %s)", d->name,
                    o->stack, users);
        return -1;
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
        printf("inflate backends: zlib%s (default %s)\n",
               gw_inflate_backend_available(GW_INFLATE_BACKEND_ISAL) ? ", isal" : "",
               gw_inflate_backend_name(gw_inflate_backend_default()));
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
    if ((n = parse_stack(o.stack, ls)) < 0 || check_options(&o, ls, n) != 0)
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
