/*
 * Byte scanners of the HTTP head parser (parsers/http/head.c), private to
 * it: "first byte that is a control character" (field values, reason
 * phrases) and "first byte that is not visible ASCII" (request-targets), in
 * three flavours: portable C, SSE2 (16 bytes a step) and AVX2 (32 bytes a
 * step).  Each is `static inline` so that head.c's per-ISA copies of the
 * parser inline the flavour they were compiled for; none reads outside
 * [p, e).
 */
#ifndef GW_HTTP_SCAN_H
#define GW_HTTP_SCAN_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GW__HTTP_X86 1
#endif

/* 1 for the bytes a field value or reason phrase may not hold: the
 * controls other than HTAB, and DEL. */
extern const uint8_t gw__http_ctl[256];
/* 1 for the bytes a request-target may hold: VCHAR (0x21 .. 0x7e). */
extern const uint8_t gw__http_vchar[256];
/* 1 for tchar (RFC 9110 5.6.2): "!#$%&'*+-.^_`|~", digits and letters. */
extern const uint8_t gw__http_tchar[256];

/* The first byte of [p, e) that is not a tchar, or e. */
static inline const uint8_t *gw__scan_name_c(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 4) {
        if (!gw__http_tchar[p[0]])
            return p;
        if (!gw__http_tchar[p[1]])
            return p + 1;
        if (!gw__http_tchar[p[2]])
            return p + 2;
        if (!gw__http_tchar[p[3]])
            return p + 3;
        p += 4;
    }
    while (p < e && gw__http_tchar[*p])
        p++;
    return p;
}

/* The first byte of [p, e) with gw__http_ctl set, or e. */
static inline const uint8_t *gw__scan_ctl_c(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 4) {
        if (gw__http_ctl[p[0]])
            return p;
        if (gw__http_ctl[p[1]])
            return p + 1;
        if (gw__http_ctl[p[2]])
            return p + 2;
        if (gw__http_ctl[p[3]])
            return p + 3;
        p += 4;
    }
    while (p < e && !gw__http_ctl[*p])
        p++;
    return p;
}

/* The first byte of [p, e) that is not VCHAR, or e. */
static inline const uint8_t *gw__scan_target_c(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 4) {
        if (!gw__http_vchar[p[0]])
            return p;
        if (!gw__http_vchar[p[1]])
            return p + 1;
        if (!gw__http_vchar[p[2]])
            return p + 2;
        if (!gw__http_vchar[p[3]])
            return p + 3;
        p += 4;
    }
    while (p < e && gw__http_vchar[*p])
        p++;
    return p;
}

#ifdef GW__HTTP_X86

/* SSE2: 16 bytes a step.  A control byte is one whose unsigned minimum with
 * 0x1f is itself, HTAB excepted, or DEL. */
static inline const uint8_t *gw__scan_ctl_sse2(const uint8_t *p, const uint8_t *e)
{
    const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8(9), del = _mm_set1_epi8(0x7f);

    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i lo = _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v);
        __m128i m =
            _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), lo), _mm_cmpeq_epi8(v, del));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 16;
    }
    return gw__scan_ctl_c(p, e);
}

/* SSE2: a target byte is good when, as a signed byte, it is above 0x20
 * and below 0x7f (obs-text is negative, so it is refused too). */
static inline const uint8_t *gw__scan_target_sse2(const uint8_t *p, const uint8_t *e)
{
    const __m128i c20 = _mm_set1_epi8(0x20), c7f = _mm_set1_epi8(0x7f);

    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i good = _mm_and_si128(_mm_cmpgt_epi8(v, c20), _mm_cmpgt_epi8(c7f, v));
        unsigned bits = (unsigned)_mm_movemask_epi8(good) ^ 0xffffu;
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 16;
    }
    return gw__scan_target_c(p, e);
}

#define GW__AVX2 __attribute__((target("avx2")))

/* AVX2: 0xff for each of the 32 bytes of v that gw__http_ctl marks, as
 * the SSE2 test does. */
static inline GW__AVX2 __m256i gw__ctl_avx2(__m256i v)
{
    __m256i low = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v);

    return _mm256_or_si256(_mm256_andnot_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(9)), low),
                           _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7f)));
}

/* AVX2: the same tests 32 bytes a step, then the SSE2 step for the rest. */
static inline GW__AVX2 const uint8_t *gw__scan_ctl_avx2(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
        unsigned bits = (unsigned)_mm256_movemask_epi8(gw__ctl_avx2(v));
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 32;
    }
    return gw__scan_ctl_sse2(p, e);
}

static inline GW__AVX2 const uint8_t *gw__scan_target_avx2(const uint8_t *p, const uint8_t *e)
{
    const __m256i c20 = _mm256_set1_epi8(0x20), c7f = _mm256_set1_epi8(0x7f);

    while (e - p >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i good = _mm256_and_si256(_mm256_cmpgt_epi8(v, c20), _mm256_cmpgt_epi8(c7f, v));
        unsigned bits = ~(unsigned)_mm256_movemask_epi8(good);
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 32;
    }
    return gw__scan_target_sse2(p, e);
}

/*
 * AVX2: 0xff for each of the 32 bytes of v that is not a tchar, by two
 * nibble lookups.  For a byte with high nibble h and low nibble l,
 * lo_tab[l] has bit h set when the byte is a tchar and hi_tab[h] is 1 << h
 * (0 for h >= 8, so no byte over 0x7f is one); the byte is a tchar when the
 * two share a bit.
 */
static inline GW__AVX2 __m256i gw__nontchar_avx2(__m256i v)
{
    /* bit h of entry l: is (h << 4 | l) a tchar?  Rows h = 2 .. 7. */
    const __m256i lo_tab = _mm256_setr_epi8(
        (char)0xe8, (char)0xfc, (char)0xf8, (char)0xfc, (char)0xfc, (char)0xfc, (char)0xfc,
        (char)0xfc, (char)0xf8, (char)0xf8, (char)0xf4, (char)0x54, (char)0xd0, (char)0x54,
        (char)0xf4, (char)0x70, (char)0xe8, (char)0xfc, (char)0xf8, (char)0xfc, (char)0xfc,
        (char)0xfc, (char)0xfc, (char)0xfc, (char)0xf8, (char)0xf8, (char)0xf4, (char)0x54,
        (char)0xd0, (char)0x54, (char)0xf4, (char)0x70);
    const __m256i hi_tab =
        _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16,
                         32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i nib = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(v, nib));
    __m256i hi = _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));

    return _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
}

/* AVX2: the first byte of [p, e) that is not a tchar, or e. */
static inline GW__AVX2 const uint8_t *gw__scan_name_avx2(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
        unsigned bits = (unsigned)_mm256_movemask_epi8(gw__nontchar_avx2(v));
        if (bits != 0)
            return p + __builtin_ctz(bits);
        p += 32;
    }
    return gw__scan_name_c(p, e);
}

/*
 * AVX2: the three classes a field line needs, over the 64 bytes at p (all
 * of which must be readable), as bit masks (bit i for p[i]): *nontchar, the
 * bytes that are not tchars (the name ends at the first); *ctl, the bytes
 * gw__http_ctl marks (the line ends at the first); *ws, SP and HTAB (the
 * whitespace trimmed around a value).  One pass over a short line finds
 * its colon, its end and the ends of its value.
 */
static inline GW__AVX2 void gw__line_masks_avx2(const uint8_t *p, uint64_t *nontchar, uint64_t *ctl,
                                                uint64_t *ws)
{
    const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

    *nontchar = (uint64_t)(uint32_t)_mm256_movemask_epi8(gw__nontchar_avx2(v0)) |
                (uint64_t)(uint32_t)_mm256_movemask_epi8(gw__nontchar_avx2(v1)) << 32;
    *ctl = (uint64_t)(uint32_t)_mm256_movemask_epi8(gw__ctl_avx2(v0)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(gw__ctl_avx2(v1)) << 32;
    *ws = (uint64_t)(uint32_t)_mm256_movemask_epi8(
              _mm256_or_si256(_mm256_cmpeq_epi8(v0, sp), _mm256_cmpeq_epi8(v0, tab))) |
          (uint64_t)(uint32_t)_mm256_movemask_epi8(
              _mm256_or_si256(_mm256_cmpeq_epi8(v1, sp), _mm256_cmpeq_epi8(v1, tab)))
              << 32;
}

#endif /* GW__HTTP_X86 */
#endif /* GW_HTTP_SCAN_H */
