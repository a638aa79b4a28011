"""TFLite Micro oracle: run the PyPI tflite-micro interpreter on raw input tensors.

Usage:
  oracle.py MODEL [--input IN.bin] [--output OUT.bin] [--keep-state] [--output-tensors T,..]

IN.bin holds one or more samples back to back, each the model's input tensors in order,
in their dtypes (little-endian).  Each is run as an independent inference (the interpreter is reset in
between, so stateful models such as keyword_scrambled's SVDF start from zero state each
time) unless --keep-state is given.  The raw outputs are written back to back to OUT.bin.
Variants of a model (intermediate outputs, rescaled biases) come from modeledit.py;
--output-tensors T1,T2,.. runs, in this one process, the variant whose output is tensor Ti
for each i, writing OUT.bin.Ti (intermediate activations, one Python start for all).

A JSON summary goes to stdout: tensor details, number of inferences and TFLM's arena use
as reported by its RecordingMicroAllocator.
"""

import argparse
import json
import os
import re
import sys
import tempfile

import numpy as np
from tflite_micro.python.tflite_micro import runtime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modeledit import retarget_output  # noqa: E402


def tensor_info(details):
    q = details.get("quantization_parameters", {})
    return {
        "shape": [int(d) for d in details["shape"]],
        "dtype": np.dtype(details["dtype"]).name,
        "bytes": int(np.prod(details["shape"])) * np.dtype(details["dtype"]).itemsize,
        "scales": [float(s) for s in q.get("scales", [])],
        "zero_points": [int(z) for z in q.get("zero_points", [])],
    }


def arena_usage(interp):
    """TFLM prints its allocation record to fd 2 from C++; capture and parse it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            interp.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode("utf-8", "replace")
    usage = {}
    for key in ("total", "head", "tail"):
        m = re.search(r"Arena allocation %s (\d+) bytes" % key, text)
        if m:
            usage[key] = int(m.group(1))
    return usage


def input_infos(interp):
    """Every model input, in order (the bindings only say how many by raising)."""
    infos = []
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the C++ side prints the out-of-range probe to fd 2
    try:
        while True:
            try:
                infos.append(tensor_info(interp.get_input_details(len(infos))))
            except IndexError:
                return infos
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run_batch(model, raw, keep_state, arena=None):
    """Runs each sample in `raw` (all model inputs back to back, like `edge-peft infer`);
    returns (interpreter, input infos, output info, outputs)."""
    interp = runtime.Interpreter.from_bytes(model, arena_size=arena)
    inps = input_infos(interp)
    out = tensor_info(interp.get_output_details(0))
    sample = sum(i["bytes"] for i in inps)
    if len(raw) % sample != 0:
        sys.exit("oracle: input holds %d bytes, not a multiple of the input size %d"
                 % (len(raw), sample))
    results = []
    for k in range(len(raw) // sample):
        at = k * sample
        for n, inp in enumerate(inps):
            dtype = np.dtype(inp["dtype"]).newbyteorder("<")
            chunk = raw[at:at + inp["bytes"]]
            at += inp["bytes"]
            x = np.frombuffer(chunk, dtype=dtype).reshape(inp["shape"])
            interp.set_input(x.astype(dtype.newbyteorder("=")), n)
        interp.invoke()
        y = interp.get_output(0)
        results.append(np.ascontiguousarray(y).astype(y.dtype.newbyteorder("<")).tobytes())
        if not keep_state:
            interp.reset()
    return interp, inps, out, b"".join(results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--input", help="raw input tensors back to back")
    ap.add_argument("--output", help="where to write the raw outputs back to back")
    ap.add_argument("--keep-state", action="store_true",
                    help="do not reset variable tensors between inputs")
    ap.add_argument("--output-tensors", help="comma-separated tensors: run one variant each")
    ap.add_argument("--arena", type=int, help="TFLM arena bytes (default: 10x the model size, "
                    "too few for weightless models such as a single 512-point SignalRfft)")
    args = ap.parse_args()

    with open(args.model, "rb") as f:
        model = f.read()
    raw = b""
    if args.input:
        with open(args.input, "rb") as f:
            raw = f.read()
    interp, inps, out, outputs = run_batch(model, raw, args.keep_state, args.arena)
    count = len(raw) // sum(i["bytes"] for i in inps)
    if args.input and not args.output:
        sys.stdout.buffer.write(outputs)
        return
    if args.output:
        with open(args.output, "wb") as f:
            f.write(outputs)
    summary = {
        "model_bytes": len(model),
        "input": inps[0],
        "inputs": inps,
        "output": out,
        "inferences": count,
        "arena": arena_usage(interp),
    }
    if args.output_tensors:
        summary["variants"] = {}
        for t in (int(v) for v in args.output_tensors.split(",")):
            _, _, vout, voutputs = run_batch(retarget_output(model, t), raw, args.keep_state,
                                             args.arena)
            summary["variants"][str(t)] = vout
            if args.output:
                with open("%s.%d" % (args.output, t), "wb") as f:
                    f.write(voutputs)
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
