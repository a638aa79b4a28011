/* Zero-copy .tflite reader: ep_model_open validates the whole of subgraph 0
 * (every table, vector, tensor and operator) by running the same checked
 * accessors the engine uses later, so nothing is read unchecked. */
#include <string.h>

#include "model_internal.h"
/* schema field ids */
enum { M_VERSION = 0, M_OPCODES = 1, M_SUBGRAPHS = 2, M_BUFFERS = 4 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
       OP_CUSTOM_OPTIONS = 5 };
enum { OC_DEPRECATED = 0, OC_CUSTOM = 1, OC_VERSION = 2, OC_BUILTIN = 3 };

static ep_status read_io(const ep_fb *fb, uint32_t start, int32_t n, int32_t tensor_count,
                         int32_t *out, bool allow_absent, const char *what, int32_t op)
{
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = (int32_t)ep_rd_u32(fb->d + start + 4u * (uint32_t)i);
        if (v >= tensor_count || v < (allow_absent ? -1 : 0)) {
            return ep_fb_fail(fb, EP_ERR_MODEL, "operator %d: %s %d: tensor %d out of range", op,
                              what, i, v);
        }
        if (out != NULL) {
            out[i] = v;
        }
    }
    return EP_OK;
}

static ep_status op_checked(const ep_model *m, const ep_fb *fb, int32_t index, ep_op_info *o)
{
    ep_fbt t, oc, opts;
    uint32_t opcode_index, in_start, in_n, out_start, out_n, cs, cn;
    int32_t dep = 0, builtin = 0;
    uint8_t dep8, otype;
    bool present;
    ep_status st;
    memset(o, 0, sizeof *o);
    if ((st = ep_fb_vec_table(fb, m->operators, (uint32_t)index, &t, "operator")) != EP_OK ||
        (st = ep_fb_i32(fb, &t, OP_OPCODE, 0, (int32_t *)&opcode_index)) != EP_OK ||
        (st = ep_fb_vector(fb, &t, OP_INPUTS, 4, &in_start, &in_n, "operator inputs")) != EP_OK ||
        (st = ep_fb_vector(fb, &t, OP_OUTPUTS, 4, &out_start, &out_n, "operator outputs")) != EP_OK ||
        (st = ep_fb_u8(fb, &t, OP_OPTIONS_TYPE, 0, &otype)) != EP_OK ||
        (st = ep_fb_subtable(fb, &t, OP_OPTIONS, &opts, &present, "operator options")) != EP_OK ||
        (st = ep_fb_vector(fb, &t, OP_CUSTOM_OPTIONS, 1, &cs, &cn, "custom options")) != EP_OK) {
        return ep_fb_prefix(fb, st, "operator %d: ", index);
    }
    if (opcode_index >= (uint32_t)m->opcode_count) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "operator %d: opcode index %u out of range", index,
                          opcode_index);
    }
    if ((st = ep_fb_vec_table(fb, m->opcodes, opcode_index, &oc, "operator code")) != EP_OK ||
        (st = ep_fb_u8(fb, &oc, OC_DEPRECATED, 0, &dep8)) != EP_OK ||
        (st = ep_fb_string(fb, &oc, OC_CUSTOM, &o->custom_code, "custom code")) != EP_OK ||
        (st = ep_fb_i32(fb, &oc, OC_VERSION, 1, &o->version)) != EP_OK ||
        (st = ep_fb_i32(fb, &oc, OC_BUILTIN, 0, &builtin)) != EP_OK) {
        return ep_fb_prefix(fb, st, "operator %d: ", index);
    }
    dep = (int32_t)(int8_t)dep8;
    /* Old converters wrote only the int8 field; new ones keep it <= 127. */
    o->opcode = builtin > dep ? builtin : dep;
    if (o->opcode < 0) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "operator %d: negative opcode %d", index, o->opcode);
    }
    if (o->opcode != EP_OP_CUSTOM) {
        o->custom_code = NULL;
    } else if (cn > 0) {
        o->custom_options = fb->d + cs;
        o->custom_options_size = cn;
    }
    if (in_n > EP_MAX_OP_INPUTS || out_n > EP_MAX_OP_OUTPUTS) {
        return ep_fb_fail(fb, EP_ERR_LIMIT, "operator %d (%s): %u inputs / %u outputs too many",
                          index, ep_op_name(o), in_n, out_n);
    }
    o->input_count = (int32_t)in_n;
    o->output_count = (int32_t)out_n;
    if ((st = read_io(fb, in_start, o->input_count, m->tensor_count, o->inputs, true, "input",
                      index)) != EP_OK ||
        (st = read_io(fb, out_start, o->output_count, m->tensor_count, o->outputs, false,
                      "output", index)) != EP_OK) {
        return st;
    }
    o->options_type = otype;
    return ep_parse_options(fb, index, o->opcode, otype, &opts, present, &o->options);
}

ep_status ep_model_op(const ep_model *m, int32_t index, ep_op_info *out)
{
    if (m == NULL || out == NULL || index < 0 || index >= m->operator_count) {
        return EP_ERR_ARG;
    }
    const ep_fb fb = ep_model_fb(m, NULL, 0);
    return op_checked(m, &fb, index, out);
}

const char *ep_op_name(const ep_op_info *op)
{
    if (op == NULL) {
        return "UNKNOWN";
    }
    if (op->opcode == EP_OP_CUSTOM) {
        return op->custom_code != NULL && op->custom_code[0] != '\0' ? op->custom_code
                                                                    : "CUSTOM";
    }
    return ep_builtin_op_name(op->opcode);
}

int32_t ep_model_input(const ep_model *m, int32_t i)
{
    if (m == NULL || i < 0 || i >= m->input_count) {
        return -1;
    }
    return (int32_t)ep_rd_u32(m->data + m->inputs + 4u * (uint32_t)i);
}

int32_t ep_model_output(const ep_model *m, int32_t i)
{
    if (m == NULL || i < 0 || i >= m->output_count) {
        return -1;
    }
    return (int32_t)ep_rd_u32(m->data + m->outputs + 4u * (uint32_t)i);
}

static ep_status count_ok(const ep_fb *fb, uint32_t n, int32_t *out, const char *what)
{
    if (n > (uint32_t)INT32_MAX) {
        return ep_fb_fail(fb, EP_ERR_LIMIT, "too many %s: %u", what, n);
    }
    *out = (int32_t)n;
    return EP_OK;
}

ep_status ep_model_open(ep_model *m, const void *data, size_t size, char *err, size_t err_size)
{
    ep_fbt root, sg;
    uint32_t start, n, sub_start, sub_n;
    int32_t version;
    ep_status st;
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (m == NULL || data == NULL) {
        return EP_ERR_ARG;
    }
    memset(m, 0, sizeof *m);
    m->data = (const uint8_t *)data;
    m->size = size;
    const ep_fb fb = ep_model_fb(m, err, err_size);
    if (size < 8 || (uint64_t)size > (uint64_t)INT32_MAX) {
        return ep_fb_fail(&fb, EP_ERR_MODEL, "model size %u out of range", (uint32_t)size);
    }
    if ((st = ep_fb_table(&fb, ep_rd_u32(m->data), &root, "model")) != EP_OK ||
        (st = ep_fb_i32(&fb, &root, M_VERSION, 0, &version)) != EP_OK) {
        return st;
    }
    if (version != 3) {
        return ep_fb_fail(&fb, EP_ERR_UNSUPPORTED, "schema version %d (want 3)", version);
    }
    m->version = (uint32_t)version;
    if ((st = ep_fb_vector(&fb, &root, M_OPCODES, 4, &m->opcodes, &n, "operator_codes")) != EP_OK ||
        (st = count_ok(&fb, n, &m->opcode_count, "operator codes")) != EP_OK ||
        (st = ep_fb_vector(&fb, &root, M_BUFFERS, 4, &m->buffers, &n, "buffers")) != EP_OK ||
        (st = count_ok(&fb, n, &m->buffer_count, "buffers")) != EP_OK ||
        (st = ep_fb_vector(&fb, &root, M_SUBGRAPHS, 4, &sub_start, &sub_n, "subgraphs")) != EP_OK) {
        return st;
    }
    if (sub_n < 1) {
        return ep_fb_fail(&fb, EP_ERR_MODEL, "model has no subgraph");
    }
    if ((st = ep_fb_vec_table(&fb, sub_start, 0, &sg, "subgraph")) != EP_OK ||
        (st = ep_fb_vector(&fb, &sg, SG_TENSORS, 4, &m->tensors, &n, "tensors")) != EP_OK ||
        (st = count_ok(&fb, n, &m->tensor_count, "tensors")) != EP_OK ||
        (st = ep_fb_vector(&fb, &sg, SG_OPERATORS, 4, &m->operators, &n, "operators")) != EP_OK ||
        (st = count_ok(&fb, n, &m->operator_count, "operators")) != EP_OK ||
        (st = ep_fb_vector(&fb, &sg, SG_INPUTS, 4, &m->inputs, &n, "subgraph inputs")) != EP_OK ||
        (st = count_ok(&fb, n, &m->input_count, "inputs")) != EP_OK ||
        (st = ep_fb_vector(&fb, &sg, SG_OUTPUTS, 4, &start, &n, "subgraph outputs")) != EP_OK ||
        (st = count_ok(&fb, n, &m->output_count, "outputs")) != EP_OK) {
        return st;
    }
    m->outputs = start;
    if (m->operator_count > EP_MAX_OPS) {
        return ep_fb_fail(&fb, EP_ERR_LIMIT, "%d operators > EP_MAX_OPS (%d)", m->operator_count,
                          EP_MAX_OPS);
    }
    if (m->tensor_count > EP_MAX_TENSORS) {
        return ep_fb_fail(&fb, EP_ERR_LIMIT, "%d tensors > EP_MAX_TENSORS (%d)", m->tensor_count,
                          EP_MAX_TENSORS);
    }
    if (m->input_count < 1 || m->input_count > EP_MAX_IO || m->output_count < 1 ||
        m->output_count > EP_MAX_IO) {
        return ep_fb_fail(&fb, EP_ERR_LIMIT, "%d inputs / %d outputs (1..%d supported)",
                          m->input_count, m->output_count, EP_MAX_IO);
    }
    if ((st = read_io(&fb, m->inputs, m->input_count, m->tensor_count, NULL, false,
                      "subgraph input", -1)) != EP_OK ||
        (st = read_io(&fb, m->outputs, m->output_count, m->tensor_count, NULL, false,
                      "subgraph output", -1)) != EP_OK) {
        return st;
    }
    for (int32_t i = 0; i < m->tensor_count; ++i) {
        ep_tensor_info ti;
        if ((st = ep_model_tensor_checked(m, &fb, i, &ti)) != EP_OK) {
            return st;
        }
    }
    for (int32_t i = 0; i < m->operator_count; ++i) {
        ep_op_info oi;
        if ((st = op_checked(m, &fb, i, &oi)) != EP_OK) {
            return st;
        }
    }
    return EP_OK;
}
