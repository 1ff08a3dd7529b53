/*
 * Native batch hashing for the liabilities tree prover (docs/SPEC.md section 3).
 *
 * This module computes exactly the bytes that solvency/tree/build.py computes in pure Python:
 * leaf records (SPEC 3.2-3.4) and internal node records (SPEC 3.5) of the on-disk node store.
 * It exists only for speed: a CPython call per SHA-256 message costs more than the hash itself.
 * The verifier never uses it; the tests compare every byte it writes with the pure-Python path
 * and every digest with hashlib and hmac.
 *
 * Invariants:
 *  - SHA-256 is FIPS 180-4. Two compression functions are provided, the Intel SHA extensions
 *    (chosen at run time when CPUID reports SHA, SSSE3 and SSE4.1) and portable C; both are
 *    checked against hashlib by the tests.
 *  - Node sums are 128-bit and never wrap: an addition that would reach 2^128 raises
 *    OverflowError and the caller discards the build.
 *  - Every index read from the caller's arrays is range-checked before use; a bad argument
 *    raises ValueError, never reads or writes out of bounds.
 *  - The hashing loops run without the GIL on buffers the caller keeps alive for the call.
 *
 * Record layout (R = 32 + 16 m bytes): hash(32) || u128 big-endian sum for each of m assets.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define MST_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define MAX_ASSETS 16
#define MAX_ID_BYTES 256
#define MAX_HEIGHT 40
#define MSG_CAP 1024

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t IV256[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(uint32_t st[8], const uint8_t *p, size_t blocks)
{
    uint32_t w[64];
    while (blocks--) {
        for (int t = 0; t < 16; t++)
            w[t] = ((uint32_t)p[4 * t] << 24) | ((uint32_t)p[4 * t + 1] << 16) | ((uint32_t)p[4 * t + 2] << 8) | p[4 * t + 3];
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROR(w[t - 15], 7) ^ ROR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROR(w[t - 2], 17) ^ ROR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + w[t];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
}

#ifdef MST_X86
/* The Intel SHA extensions: the state is kept as ABEF/CDGH, four schedule words per step. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_shani(uint32_t st[8], const uint8_t *p, size_t blocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&st[0]);
    __m128i s1 = _mm_loadu_si128((const __m128i *)&st[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);
    s1 = _mm_shuffle_epi32(s1, 0x1B);
    __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);
    while (blocks--) {
        __m128i save0 = s0, save1 = s1;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
#define MST_ROUNDS(w, i)                                                                   \
        do {                                                                               \
            __m128i k_ = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K256[4 * (i)])); \
            s1 = _mm_sha256rnds2_epu32(s1, s0, k_);                                        \
            k_ = _mm_shuffle_epi32(k_, 0x0E);                                              \
            s0 = _mm_sha256rnds2_epu32(s0, s1, k_);                                        \
        } while (0)
/* W[4i..4i+3] from the four previous groups a (oldest) .. d (newest), stored over a. */
#define MST_SCHEDULE(a, b, c, d)                                                           \
        do {                                                                               \
            __m128i t_ = _mm_sha256msg1_epu32((a), (b));                                   \
            t_ = _mm_add_epi32(t_, _mm_alignr_epi8((d), (c), 4));                          \
            (a) = _mm_sha256msg2_epu32(t_, (d));                                           \
        } while (0)
        MST_ROUNDS(w0, 0);
        MST_ROUNDS(w1, 1);
        MST_ROUNDS(w2, 2);
        MST_ROUNDS(w3, 3);
        for (int i = 4; i < 16; i += 4) {
            MST_SCHEDULE(w0, w1, w2, w3); MST_ROUNDS(w0, i);
            MST_SCHEDULE(w1, w2, w3, w0); MST_ROUNDS(w1, i + 1);
            MST_SCHEDULE(w2, w3, w0, w1); MST_ROUNDS(w2, i + 2);
            MST_SCHEDULE(w3, w0, w1, w2); MST_ROUNDS(w3, i + 3);
        }
#undef MST_ROUNDS
#undef MST_SCHEDULE
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);
    s1 = _mm_alignr_epi8(s1, tmp, 8);
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
}

static int cpu_has_shani(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) /* SSSE3, SSE4.1 */
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}
#endif

typedef void (*compress_fn)(uint32_t st[8], const uint8_t *p, size_t blocks);
static compress_fn compress = compress_portable;
static const char *backend_name = "portable";

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Finish a hash whose state `st` has already absorbed `prior` bytes (a multiple of 64). */
static void sha256_finish(const uint32_t start[8], uint64_t prior, const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint32_t st[8];
    uint8_t tail[128];
    memcpy(st, start, sizeof st);
    size_t full = len / 64;
    if (full)
        compress(st, msg, full);
    size_t rest = len - 64 * full;
    memcpy(tail, msg + 64 * full, rest);
    tail[rest] = 0x80;
    size_t padded = rest + 9 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, padded - rest - 1);
    put_be64(tail + padded - 8, (prior + len) * 8);
    compress(st, tail, padded / 64);
    for (int i = 0; i < 8; i++)
        put_be32(out + 4 * i, st[i]);
}

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    sha256_finish(IV256, 0, msg, len, out);
}

typedef struct {
    uint32_t inner[8];
    uint32_t outer[8];
} hmac_key;

/* RFC 2104 with the inner and outer states precomputed once per key. */
static void hmac_init(hmac_key *hk, const uint8_t *key, size_t len)
{
    uint8_t block[64], pad[64];
    memset(block, 0, 64);
    if (len > 64)
        sha256(key, len, block);
    else
        memcpy(block, key, len);
    for (int i = 0; i < 64; i++)
        pad[i] = block[i] ^ 0x36;
    memcpy(hk->inner, IV256, sizeof IV256);
    compress(hk->inner, pad, 1);
    for (int i = 0; i < 64; i++)
        pad[i] = block[i] ^ 0x5c;
    memcpy(hk->outer, IV256, sizeof IV256);
    compress(hk->outer, pad, 1);
}

static void hmac(const hmac_key *hk, const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint8_t inner[32];
    sha256_finish(hk->inner, 64, msg, len, inner);
    sha256_finish(hk->outer, 64, inner, 32, out);
}

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s buffer", name, writable ? " writable" : "");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(py_sha256_doc, "sha256(data) -> bytes: SHA-256 of data (for the tests).");

static PyObject *py_sha256(PyObject *self, PyObject *arg)
{
    Py_buffer v;
    uint8_t out[32];
    if (get_buffer(arg, &v, 0, "data") < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    sha256(v.buf, (size_t)v.len, out);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

PyDoc_STRVAR(py_hmac_doc, "hmac_sha256(key, data) -> bytes: HMAC-SHA256 (for the tests).");

static PyObject *py_hmac(PyObject *self, PyObject *args)
{
    Py_buffer k, v;
    hmac_key hk;
    uint8_t out[32];
    if (!PyArg_ParseTuple(args, "y*y*", &k, &v))
        return NULL;
    hmac_init(&hk, k.buf, (size_t)k.len);
    hmac(&hk, v.buf, (size_t)v.len, out);
    PyBuffer_Release(&k);
    PyBuffer_Release(&v);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

PyDoc_STRVAR(py_leaves_doc,
"leaves(nodes, m, a, b, order, parts, k, n_entries, ids, ids_off, keys, epoch_key, salt_prefix,\n"
"       user_tag, padding_tag, leaf_prefix) -> None\n\n"
"Write the leaf records of positions [a, b) into nodes (records 0.. of level 0).\n"
"order[p] is the entry at position p (entries >= n_entries are padding); entry e is part e % k of\n"
"user e // k, whose UTF-8 id is ids[ids_off[i]:ids_off[i+1]] and whose balances are\n"
"parts[e*m:(e+1)*m] (uint64). For part 0 the first 8 bytes of uc go to keys[i] (big-endian u64).");

static PyObject *py_leaves(PyObject *self, PyObject *args)
{
    PyObject *o_nodes, *o_order, *o_parts, *o_ids, *o_off, *o_keys;
    Py_buffer nodes = {0}, order = {0}, parts = {0}, ids = {0}, off = {0}, keys = {0};
    Py_buffer ekey = {0}, salt_prefix = {0}, user_tag = {0}, padding_tag = {0}, leaf_prefix = {0};
    Py_ssize_t m, a, b, k, n_entries;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OnnnOOnnOOOy*y*y*y*y*", &o_nodes, &m, &a, &b, &o_order, &o_parts, &k, &n_entries,
                          &o_ids, &o_off, &o_keys, &ekey, &salt_prefix, &user_tag, &padding_tag, &leaf_prefix))
        return NULL;
    if (get_buffer(o_nodes, &nodes, 1, "nodes") < 0 || get_buffer(o_order, &order, 0, "order") < 0 ||
        get_buffer(o_parts, &parts, 0, "parts") < 0 || get_buffer(o_ids, &ids, 0, "ids") < 0 ||
        get_buffer(o_off, &off, 0, "ids_off") < 0 || get_buffer(o_keys, &keys, 1, "keys") < 0)
        goto done;
    if (m < 1 || m > MAX_ASSETS || k < 1 || k > 64 || n_entries < 0 || a < 0 || b < a) {
        PyErr_SetString(PyExc_ValueError, "leaves: m, k, n_entries or the range [a, b) is out of bounds");
        goto done;
    }
    const size_t size = 32 + 16 * (size_t)m;
    const Py_ssize_t n_users = n_entries / k;
    if (order.itemsize != 8 || parts.itemsize != 8 || off.itemsize != 8 || keys.itemsize != 8) {
        PyErr_SetString(PyExc_TypeError, "leaves: order, parts, ids_off and keys must be 64-bit integer arrays");
        goto done;
    }
    if (n_entries % k || (size_t)nodes.len < (size_t)b * size || order.len < b * 8 ||
        (size_t)parts.len < (size_t)n_entries * m * 8 || off.len < (n_users + 1) * 8 || keys.len < n_users * 8 ||
        salt_prefix.len > 128 || user_tag.len > 64 || padding_tag.len > 64 || leaf_prefix.len > 128) {
        PyErr_SetString(PyExc_ValueError, "leaves: a buffer is too small for the given sizes");
        goto done;
    }
    const int64_t *ord = order.buf, *ofs = off.buf;
    const uint64_t *bal = parts.buf;
    uint64_t *key_out = keys.buf;
    const uint8_t *idb = ids.buf;
    uint8_t *out = nodes.buf;
    int bad = 0;
    hmac_key hk;
    hmac_init(&hk, ekey.buf, (size_t)ekey.len);
    Py_BEGIN_ALLOW_THREADS
    uint8_t msg[MSG_CAP], salt[32], uc[32];
    for (Py_ssize_t p = a; p < b && !bad; p++) {
        /* Positions visit users in random order: prefetch a user's offsets and balances 16
           leaves ahead and the id bytes 8 leaves ahead (the offsets are cached by then). */
        if (p + 16 < b) {
            int64_t f = ord[p + 16];
            if (f >= 0 && f < n_entries) {
                __builtin_prefetch(&ofs[f / k]);
                __builtin_prefetch(&bal[(size_t)f * m]);
                __builtin_prefetch(&key_out[f / k], 1);
            }
        }
        if (p + 8 < b) {
            int64_t f = ord[p + 8];
            if (f >= 0 && f < n_entries) {
                int64_t s0 = ofs[f / k];
                if (s0 >= 0 && s0 < ids.len)
                    __builtin_prefetch(idb + s0);
            }
        }
        int64_t e = ord[p];
        uint8_t *rec = out + (size_t)p * size;
        size_t len;
        if (e < 0) {
            bad = 1;
            break;
        }
        if (e < n_entries) {
            int64_t i = e / k, part = e % k;
            int64_t start = ofs[i], end = ofs[i + 1];
            if (start < 0 || end <= start || end - start > MAX_ID_BYTES || end > ids.len) {
                bad = 2;
                break;
            }
            size_t idlen = (size_t)(end - start);
            len = 0;
            memcpy(msg, salt_prefix.buf, salt_prefix.len); len += salt_prefix.len;
            msg[len++] = (uint8_t)(idlen >> 8); msg[len++] = (uint8_t)idlen;
            memcpy(msg + len, idb + start, idlen); len += idlen;
            put_be32(msg + len, (uint32_t)part); len += 4;
            hmac(&hk, msg, len, salt);
            len = 0;
            memcpy(msg, user_tag.buf, user_tag.len); len += user_tag.len;
            memcpy(msg + len, salt, 32); len += 32;
            msg[len++] = (uint8_t)(idlen >> 8); msg[len++] = (uint8_t)idlen;
            memcpy(msg + len, idb + start, idlen); len += idlen;
            sha256(msg, len, uc);
            if (part == 0)
                key_out[i] = get_be64(uc);
        } else {
            len = 0;
            memcpy(msg, padding_tag.buf, padding_tag.len); len += padding_tag.len;
            put_be64(msg + len, (uint64_t)p); len += 8;
            hmac(&hk, msg, len, uc);
        }
        len = 0;
        memcpy(msg, leaf_prefix.buf, leaf_prefix.len); len += leaf_prefix.len;
        memcpy(msg + len, uc, 32); len += 32;
        memset(rec + 32, 0, 16 * (size_t)m);
        for (Py_ssize_t j = 0; j < m; j++) {
            uint64_t v = e < n_entries ? bal[(size_t)e * m + j] : 0;
            put_be64(msg + len, v); len += 8;
            put_be64(rec + 32 + 16 * j + 8, v);
        }
        sha256(msg, len, rec);
    }
    Py_END_ALLOW_THREADS
    if (bad == 1) {
        PyErr_SetString(PyExc_ValueError, "leaves: a negative entry in order");
        goto done;
    }
    if (bad == 2) {
        PyErr_SetString(PyExc_ValueError, "leaves: a user id offset is out of range or the id is not 1..256 bytes");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&nodes); PyBuffer_Release(&order); PyBuffer_Release(&parts); PyBuffer_Release(&ids);
    PyBuffer_Release(&off); PyBuffer_Release(&keys); PyBuffer_Release(&ekey); PyBuffer_Release(&salt_prefix);
    PyBuffer_Release(&user_tag); PyBuffer_Release(&padding_tag); PyBuffer_Release(&leaf_prefix);
    return result;
}

PyDoc_STRVAR(py_combine_doc,
"combine(nodes, m, height, node_tag, child, parent, count) -> None\n\n"
"Write `count` parent records of height `height` at record `parent` of nodes from the 2*count\n"
"child records at record `child`: hash H(node_tag || u8(height) || left || right) and the\n"
"per-asset u128 sums. Raises OverflowError if a sum would reach 2^128.");

static PyObject *py_combine(PyObject *self, PyObject *args)
{
    PyObject *o_nodes;
    Py_buffer nodes = {0}, tag = {0};
    Py_ssize_t m, height, child, parent, count;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "Onny*nnn", &o_nodes, &m, &height, &tag, &child, &parent, &count))
        return NULL;
    if (get_buffer(o_nodes, &nodes, 1, "nodes") < 0)
        goto done;
    if (m < 1 || m > MAX_ASSETS || height < 1 || height > MAX_HEIGHT || child < 0 || parent < 0 || count < 0 ||
        tag.len > 64) {
        PyErr_SetString(PyExc_ValueError, "combine: an argument is out of range");
        goto done;
    }
    const size_t size = 32 + 16 * (size_t)m;
    if ((size_t)nodes.len < (size_t)(child + 2 * count) * size || (size_t)nodes.len < (size_t)(parent + count) * size ||
        (parent < child + 2 * count && child < parent + count)) {
        PyErr_SetString(PyExc_ValueError, "combine: the child and parent ranges overlap or exceed the buffer");
        goto done;
    }
    uint8_t *base = nodes.buf;
    int overflow = 0;
    Py_BEGIN_ALLOW_THREADS
    uint8_t msg[MSG_CAP];
    size_t head = (size_t)tag.len;
    memcpy(msg, tag.buf, head);
    msg[head++] = (uint8_t)height;
    for (Py_ssize_t q = 0; q < count && !overflow; q++) {
        const uint8_t *left = base + (size_t)(child + 2 * q) * size;
        const uint8_t *right = left + size;
        uint8_t *rec = base + (size_t)(parent + q) * size;
        memcpy(msg + head, left, 2 * size);
        for (Py_ssize_t j = 0; j < m; j++) {
            const uint8_t *ls = left + 32 + 16 * j, *rs = right + 32 + 16 * j;
            unsigned __int128 x = ((unsigned __int128)get_be64(ls) << 64) | get_be64(ls + 8);
            unsigned __int128 y = ((unsigned __int128)get_be64(rs) << 64) | get_be64(rs + 8);
            unsigned __int128 s = x + y;
            if (s < x) {
                overflow = 1;
                break;
            }
            put_be64(rec + 32 + 16 * j, (uint64_t)(s >> 64));
            put_be64(rec + 40 + 16 * j, (uint64_t)s);
        }
        sha256(msg, head + 2 * size, rec);
    }
    Py_END_ALLOW_THREADS
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "a node sum at height %zd reaches 2^128", height);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&nodes);
    PyBuffer_Release(&tag);
    return result;
}

PyDoc_STRVAR(py_set_backend_doc,
"set_backend(name) -> str: choose 'sha-ni' or 'portable' (for the tests); returns the previous one.");

static PyObject *py_set_backend(PyObject *self, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    const char *previous = backend_name;
    if (!name)
        return NULL;
    if (strcmp(name, "portable") == 0) {
        compress = compress_portable;
        backend_name = "portable";
    }
#ifdef MST_X86
    else if (strcmp(name, "sha-ni") == 0 && cpu_has_shani()) {
        compress = compress_shani;
        backend_name = "sha-ni";
    }
#endif
    else {
        PyErr_Format(PyExc_ValueError, "backend %R is not available on this machine", arg);
        return NULL;
    }
    return PyUnicode_FromString(previous);
}

static PyObject *py_backends(PyObject *self, PyObject *unused)
{
#ifdef MST_X86
    if (cpu_has_shani())
        return Py_BuildValue("(ss)", "sha-ni", "portable");
#endif
    return Py_BuildValue("(s)", "portable");
}

static PyObject *py_backend(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(backend_name);
}

static PyMethodDef methods[] = {
    {"sha256", py_sha256, METH_O, py_sha256_doc},
    {"hmac_sha256", py_hmac, METH_VARARGS, py_hmac_doc},
    {"leaves", py_leaves, METH_VARARGS, py_leaves_doc},
    {"combine", py_combine, METH_VARARGS, py_combine_doc},
    {"set_backend", py_set_backend, METH_O, py_set_backend_doc},
    {"backends", py_backends, METH_NOARGS, "backends() -> tuple of the compression functions this CPU can run."},
    {"backend", py_backend, METH_NOARGS, "backend() -> the compression function in use."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "solvency.tree._mst",
    "Native batch SHA-256 for the liabilities tree prover (see _mst.c).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mst(void)
{
#ifdef MST_X86
    if (cpu_has_shani()) {
        compress = compress_shani;
        backend_name = "sha-ni";
    }
#endif
    return PyModule_Create(&module);
}
