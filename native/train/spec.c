/* Adapter spec strings -> ept_config, parsed without floating point or libc number parsers
 * (the same parser runs on the device). Grammar in edge_peft_train.h. */
#include "train_internal.h"

void ept_config_default(ept_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    *cfg = (ept_config){0};
    cfg->rank = 4;
    cfg->alpha = 8;
    cfg->lora_layers = (ept_range){-1, -1};
    cfg->bias_layers = (ept_range){-1, -1};
    cfg->prompt_layers = (ept_range){0, 0};
    cfg->full_layers = (ept_range){-1, -1};
    cfg->adapter_layers = (ept_range){-1, -1};
    cfg->adapter_width = 8;
    cfg->seed = 1;
    cfg->lr_u = 500; /* 0.0005: stable for LoRA alpha/r = 2 on the fixture workloads */
}

typedef struct {
    const char *p;
    const char *end;
} span;

static int span_eq(span s, const char *lit)
{
    size_t i = 0;
    for (; s.p + i < s.end; ++i) {
        if (lit[i] == '\0' || lit[i] != s.p[i]) {
            return 0;
        }
    }
    return lit[i] == '\0';
}

static void span_err(char *err, size_t n, const char *what, span s)
{
    char tmp[48];
    size_t i = 0;
    for (; s.p + i < s.end && i + 1 < sizeof tmp; ++i) {
        tmp[i] = s.p[i];
    }
    tmp[i] = '\0';
    ept_err(err, n, what, tmp);
}

/* Non-negative decimal in the usual forms: "12", "0.05", ".5", "1e-3", "2.5E+2", read exactly
 * (no floating point) into units of 10^-decimals. Digits below that resolution are dropped, but
 * a nonzero value that would become 0 is refused (lr 1e-7 is not lr 0). */
static ep_status parse_fixed_span(span s, uint32_t decimals, uint32_t *out)
{
    uint64_t v = 0;
    int32_t shift = (int32_t)decimals, exp10 = 0;
    int seen_dot = 0, digits = 0, nonzero = 0;
    const char *c = s.p;
    for (; c < s.end && *c != 'e' && *c != 'E'; ++c) {
        if (*c == '.' && !seen_dot) {
            seen_dot = 1;
            continue;
        }
        if (*c < '0' || *c > '9') return EP_ERR_ARG;
        ++digits;
        if (*c != '0') nonzero = 1;
        if (seen_dot) --shift;
        /* leading zeros never overflow; past 19 significant digits the rest is below any
         * resolution a caller asks for, so it only decides "nonzero" */
        if (v <= (UINT64_MAX - 9U) / 10U) {
            v = v * 10U + (uint64_t)(*c - '0');
        } else {
            ++shift;
        }
    }
    if (digits == 0) return EP_ERR_ARG;
    if (c < s.end) { /* exponent */
        int neg = 0, ed = 0;
        ++c;
        if (c < s.end && (*c == '+' || *c == '-')) neg = *c++ == '-';
        for (; c < s.end; ++c) {
            if (*c < '0' || *c > '9') return EP_ERR_ARG;
            if (exp10 < 1000) exp10 = exp10 * 10 + (*c - '0');
            ++ed;
        }
        if (ed == 0) return EP_ERR_ARG;
        exp10 = neg ? -exp10 : exp10;
    }
    shift += exp10;
    for (; shift > 0 && v != 0; --shift) {
        if (v > 0xFFFFFFFFULL) return EP_ERR_ARG;
        v *= 10U;
    }
    for (; shift < 0 && v != 0; ++shift) v /= 10U; /* below the resolution: truncated */
    if (v > 0xFFFFFFFFULL || (v == 0 && nonzero)) return EP_ERR_ARG;
    *out = (uint32_t)v;
    return EP_OK;
}

ep_status ept_parse_fixed(const char *s, uint32_t decimals, uint32_t *out)
{
    span sp;
    if (s == NULL || out == NULL) {
        return EP_ERR_ARG;
    }
    sp.p = s;
    sp.end = s;
    while (*sp.end != '\0') {
        ++sp.end;
    }
    return parse_fixed_span(sp, decimals, out);
}

static ep_status parse_int_span(span s, int32_t lo, int32_t hi, int32_t *out)
{
    int neg = 0;
    int64_t v = 0;
    const char *c = s.p;
    if (c < s.end && (*c == '-' || *c == '+')) {
        neg = *c == '-';
        ++c;
    }
    if (c == s.end) {
        return EP_ERR_ARG;
    }
    for (; c < s.end; ++c) {
        if (*c < '0' || *c > '9') {
            return EP_ERR_ARG;
        }
        v = v * 10 + (*c - '0');
        if (v > 0x7FFFFFFF) {
            return EP_ERR_ARG;
        }
    }
    v = neg ? -v : v;
    if (v < lo || v > hi) {
        return EP_ERR_ARG;
    }
    *out = (int32_t)v;
    return EP_OK;
}

/* "I" or "I..J" */
static ep_status parse_range(span s, ept_range *r)
{
    int32_t a, b;
    for (const char *c = s.p; c + 1 < s.end; ++c) {
        if (c[0] == '.' && c[1] == '.') {
            span l = {s.p, c}, h = {c + 2, s.end};
            if (parse_int_span(l, -EPT_MAX_LAYERS * 8, EPT_MAX_LAYERS * 8, &a) != EP_OK ||
                parse_int_span(h, -EPT_MAX_LAYERS * 8, EPT_MAX_LAYERS * 8, &b) != EP_OK) {
                return EP_ERR_ARG;
            }
            r->first = (int16_t)a;
            r->last = (int16_t)b;
            return EP_OK;
        }
    }
    if (parse_int_span(s, -EPT_MAX_LAYERS * 8, EPT_MAX_LAYERS * 8, &a) != EP_OK) {
        return EP_ERR_ARG;
    }
    r->first = r->last = (int16_t)a;
    return EP_OK;
}

/* One key=value inside a term of the given kind. */
static ep_status apply_kv(ept_config *cfg, span kind, span key, span val)
{
    int32_t iv;
    uint32_t uv;
    if (span_eq(kind, "lora")) {
        if (span_eq(key, "rank")) {
            if (parse_int_span(val, 1, 64, &iv) != EP_OK) return EP_ERR_ARG;
            cfg->rank = (uint16_t)iv;
            return EP_OK;
        }
        if (span_eq(key, "alpha")) {
            if (parse_int_span(val, 1, 4096, &iv) != EP_OK) return EP_ERR_ARG;
            cfg->alpha = (uint16_t)iv;
            return EP_OK;
        }
        if (span_eq(key, "layers")) return parse_range(val, &cfg->lora_layers);
    } else if (span_eq(kind, "bias")) {
        if (span_eq(key, "layers")) return parse_range(val, &cfg->bias_layers);
    } else if (span_eq(kind, "adapter")) {
        if (span_eq(key, "layers")) return parse_range(val, &cfg->adapter_layers);
        if (span_eq(key, "width")) {
            if (parse_int_span(val, 1, 64, &iv) != EP_OK) return EP_ERR_ARG;
            cfg->adapter_width = (uint16_t)iv;
            return EP_OK;
        }
    } else if (span_eq(kind, "full")) {
        if (span_eq(key, "layers")) return parse_range(val, &cfg->full_layers);
    } else if (span_eq(kind, "prompt")) {
        if (span_eq(key, "layers")) return parse_range(val, &cfg->prompt_layers);
        if (span_eq(key, "len")) {
            if (parse_int_span(val, 0, 65535, &iv) != EP_OK) return EP_ERR_ARG;
            cfg->prompt_len = (uint16_t)iv;
            return EP_OK;
        }
    } else if (span_eq(kind, "sgd")) {
        if (span_eq(key, "lr")) return parse_fixed_span(val, 6, &cfg->lr_u);
        if (span_eq(key, "momentum")) {
            if (parse_fixed_span(val, 6, &uv) != EP_OK || uv >= 1000000U) return EP_ERR_ARG;
            cfg->momentum_u = uv;
            return EP_OK;
        }
    } else if (span_eq(kind, "ewc")) {
        if (span_eq(key, "lambda")) return parse_fixed_span(val, 3, &cfg->ewc_lambda_m);
    } else if (span_eq(kind, "dp")) {
        if (span_eq(key, "clip")) return parse_fixed_span(val, 6, &cfg->dp_clip_u);
        if (span_eq(key, "sigma")) return parse_fixed_span(val, 6, &cfg->dp_sigma_u);
    }
    return EP_ERR_SIZE; /* unknown key */
}

static ep_status parse_term(ept_config *cfg, span t, char *err, size_t n)
{
    const char *colon = t.p;
    span kind, rest;
    while (colon < t.end && *colon != ':') ++colon;
    kind.p = t.p;
    kind.end = colon;
    rest.p = colon < t.end ? colon + 1 : t.end;
    rest.end = t.end;
    if (span_eq(kind, "lora")) cfg->kinds |= EPT_KIND_LORA;
    else if (span_eq(kind, "bias")) cfg->kinds |= EPT_KIND_BIAS;
    else if (span_eq(kind, "prompt")) cfg->kinds |= EPT_KIND_PROMPT;
    else if (span_eq(kind, "full")) cfg->kinds |= EPT_KIND_FULL;
    else if (span_eq(kind, "adapter")) cfg->kinds |= EPT_KIND_ADAPTER;
    else if (span_eq(kind, "seed")) {
        uint32_t s;
        if (parse_fixed_span(rest, 0, &s) != EP_OK) {
            span_err(err, n, "bad seed: ", rest);
            return EP_ERR_ARG;
        }
        cfg->seed = s;
        return EP_OK;
    } else if (span_eq(kind, "recompute")) {
        if (span_eq(rest, "on")) cfg->recompute = EPT_RECOMPUTE_ON;
        else if (span_eq(rest, "off")) cfg->recompute = EPT_RECOMPUTE_OFF;
        else if (span_eq(rest, "auto")) cfg->recompute = EPT_RECOMPUTE_AUTO;
        else {
            span_err(err, n, "recompute must be on, off or auto: ", rest);
            return EP_ERR_ARG;
        }
        return EP_OK;
    } else if (span_eq(kind, "scratch")) {
        if (span_eq(rest, "shared")) cfg->scratch = EPT_SCRATCH_SHARED;
        else if (span_eq(rest, "separate")) cfg->scratch = EPT_SCRATCH_SEPARATE;
        else {
            span_err(err, n, "scratch must be shared or separate: ", rest);
            return EP_ERR_ARG;
        }
        return EP_OK;
    } else if (!span_eq(kind, "sgd") && !span_eq(kind, "ewc") && !span_eq(kind, "dp")) {
        span_err(err, n, "unknown adapter kind: ", kind);
        return EP_ERR_ARG;
    }
    while (rest.p < rest.end) {
        const char *comma = rest.p, *eq;
        span key, val;
        ep_status st;
        while (comma < rest.end && *comma != ',') ++comma;
        eq = rest.p;
        while (eq < comma && *eq != '=') ++eq;
        key.p = rest.p;
        key.end = eq;
        val.p = eq < comma ? eq + 1 : comma;
        val.end = comma;
        if (eq == comma) {
            span_err(err, n, "expected key=value: ", key);
            return EP_ERR_ARG;
        }
        st = apply_kv(cfg, kind, key, val);
        if (st == EP_ERR_SIZE) {
            span_err(err, n, "unknown key: ", key);
            return EP_ERR_ARG;
        }
        if (st != EP_OK) {
            /* name the term and key: "bad value for lora:rank: 0" */
            char what[64];
            size_t w = 0;
            const char *pre = "bad value for ";
            for (size_t i = 0; pre[i] != '\0' && w + 1 < sizeof what; ++i) what[w++] = pre[i];
            for (const char *c = kind.p; c < kind.end && w + 1 < sizeof what; ++c) what[w++] = *c;
            if (w + 1 < sizeof what) what[w++] = ':';
            for (const char *c = key.p; c < key.end && w + 3 < sizeof what; ++c) what[w++] = *c;
            what[w++] = ':';
            what[w++] = ' ';
            what[w] = '\0';
            span_err(err, n, what, val);
            return EP_ERR_ARG;
        }
        rest.p = comma < rest.end ? comma + 1 : comma;
    }
    return EP_OK;
}

ep_status ept_parse_spec(const char *spec, ept_config *cfg, char *err, size_t err_size)
{
    const char *p;
    if (spec == NULL || cfg == NULL) {
        return EP_ERR_ARG;
    }
    p = spec;
    while (*p != '\0') {
        const char *e = p;
        span t;
        ep_status st;
        while (*e != '\0' && *e != '+' && *e != ';') ++e;
        t.p = p;
        t.end = e;
        if (t.p == t.end) {
            ept_err(err, err_size, "empty term in spec", NULL);
            return EP_ERR_ARG;
        }
        st = parse_term(cfg, t, err, err_size);
        if (st != EP_OK) {
            return st;
        }
        p = *e != '\0' ? e + 1 : e;
    }
    if (cfg->kinds == 0) {
        ept_err(err, err_size, "spec names no adapter (lora, bias, prompt, full or adapter)", NULL);
        return EP_ERR_ARG;
    }
    return EP_OK;
}
