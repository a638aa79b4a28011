"""Small Keras models converted by TensorFlow's own converter, as a user converts them, for the
engine vs TFLite Micro test (host-tests/engine/keras-models.test.ts).

Run with TensorFlow installed OUTSIDE the project (it is not a project dependency):
  python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
  /tmp/tfvenv/bin/python tools/keras/make_models.py data/keras [--only MODEL]
Made with tensorflow-cpu 2.21.0 (keras 3.15.1, tf-keras 2.21.0 for the legacy-Keras LSTM,
numpy 2.4.6); the .tflite files and
data/keras/models.json are committed, so the tests need no TensorFlow.

Every model is built with a dynamic batch (keras.Input without batch_size), random seeded
weights, and converted with TFLiteConverter.from_keras_model and the default full-integer
recipe: Optimize.DEFAULT, a representative dataset of 64 seeded normal samples, and either
  int8:  TFLITE_BUILTINS_INT8, int8 input and output;
  float: TFLITE_BUILTINS_INT8 with float32 input and output (the converter's QUANTIZE /
         DEQUANTIZE at the model edges);
  16x8:  EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16 input and output.
"""
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf
import keras
from keras import layers


def seq(*ls):
    return lambda inp: keras.Sequential([inp] + list(ls))


def models():
    """name -> (input shape without batch, builder taking a keras.Input)."""
    def functional(build):
        def make(inp):
            return keras.Model(inp, build(inp))
        return make

    def concat(x):
        a = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        b = layers.Conv2D(4, 1, activation="relu6")(x)
        y = layers.Concatenate()([a, b])
        return layers.Dense(5)(layers.Flatten()(y))

    def residual(x):
        y = layers.Conv2D(6, 3, padding="same", activation="relu")(x)
        z = layers.Conv2D(6, 3, padding="same")(y)
        y = layers.Add()([y, z])
        return layers.Dense(4)(layers.GlobalAveragePooling2D()(y))

    def tanh_branch(x):
        h = layers.Dense(16)(x)
        a = layers.Activation("tanh")(h)
        b = layers.Activation("sigmoid")(h)
        return layers.Dense(3)(layers.Concatenate()([a, b]))

    return {
        "dense_flatten": ((4, 4, 1), seq(layers.Flatten(), layers.Dense(16, activation="relu"),
                                        layers.Dense(10), layers.Softmax())),
        "conv2d_flatten": ((8, 8, 1), seq(layers.Conv2D(4, 3, activation="relu"),
                                         layers.MaxPooling2D(2), layers.Flatten(),
                                         layers.Dense(5))),
        "conv2d_transpose": ((4, 4, 3), seq(layers.Conv2DTranspose(4, 3, strides=2,
                                                                   padding="same",
                                                                   activation="relu"),
                                           layers.Conv2D(2, 1))),
        "dilated_same_conv": ((10, 10, 2), seq(layers.Conv2D(4, 3, padding="same",
                                                            dilation_rate=2,
                                                            activation="relu"),
                                              layers.Flatten(), layers.Dense(3))),
        "conv1d": ((16, 3), seq(layers.Conv1D(6, 3, activation="relu"),
                                layers.MaxPooling1D(2), layers.Flatten(), layers.Dense(4))),
        "depthwise_separable": ((8, 8, 3), seq(layers.DepthwiseConv2D(3, padding="same",
                                                                      activation="relu"),
                                              layers.SeparableConv2D(8, 3, activation="relu"),
                                              layers.AveragePooling2D(2), layers.Flatten(),
                                              layers.Dense(4))),
        "global_avg_pool": ((6, 6, 2), seq(layers.Conv2D(8, 3, activation="relu"),
                                          layers.GlobalAveragePooling2D(), layers.Dense(3))),
        "reshape_dense": ((12,), seq(layers.Reshape((3, 4)), layers.Dense(5, activation="relu"),
                                    layers.Flatten(), layers.Dense(2))),
        "concat_functional": ((6, 6, 2), functional(concat)),
        "residual_add": ((6, 6, 3), functional(residual)),
        "tanh_sigmoid_branch": ((8,), functional(tanh_branch)),
        "activations": ((10,), seq(layers.Dense(12), layers.LeakyReLU(0.2), layers.Dense(12),
                                  layers.Activation("hard_swish"), layers.Dense(4))),
        "lstm": ((5, 3), seq(layers.LSTM(8), layers.Dense(3))),
        # the same LSTM in legacy Keras 2 (tf-keras 2.21.0, TF_USE_LEGACY_KERAS=1), whose LSTM
        # the converter fuses into UNIDIRECTIONAL_SEQUENCE_LSTM (with batch 1 only)
        LEGACY_LSTM: ((5, 3), None),
    }


RECIPES = ("int8", "float", "16x8")
LEGACY_LSTM = "lstm_tf_keras"


def legacy_lstm(shape, batch):
    import tf_keras  # only in the legacy-Keras subprocess

    return tf_keras.Sequential([tf_keras.Input(shape=shape, batch_size=batch),
                                tf_keras.layers.LSTM(8), tf_keras.layers.Dense(3)])


def convert(model, shape, recipe, seed):
    rng = np.random.default_rng(seed)
    data = [rng.normal(size=(1,) + shape).astype(np.float32) for _ in range(64)]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([d] for d in data)
    if recipe == "16x8":
        conv.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        conv.inference_input_type = tf.int16
        conv.inference_output_type = tf.int16
    else:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if recipe == "int8":
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
    return conv.convert()


def one(name, recipe, out):
    """Converts one model in this process; prints its models.json entry."""
    names = sorted(models())
    k = names.index(name)
    shape, build = models()[name]
    file = "%s_%s.tflite" % (name, recipe)
    flat, errors = None, []
    # dynamic batch first, as a user converts; where the converter itself refuses that
    # (Keras 3's LSTM lowers to TensorList ops it cannot legalise), batch 1 as well
    for batch in (None, 1):
        keras.utils.set_random_seed(1000 + k)
        model = (legacy_lstm(shape, batch) if name == LEGACY_LSTM
                 else build(keras.Input(shape=shape, batch_size=batch)))
        try:
            flat = convert(model, shape, recipe, 2000 + k)
            break
        except Exception as e:  # noqa: BLE001 - recorded in models.json
            msg = [line for line in str(e).splitlines() if "error:" in line or "not" in line]
            text = (msg or [str(e)])[0]
            text = text[text.find("error:"):] if "error:" in text else text  # no local paths
            errors.append({"batch": batch, "converter_error": text[:240]})
    entry = {"file": file if flat is not None else None, "model": name, "recipe": recipe,
             "input_shape": list(shape),
             "batch": "dynamic" if not errors else (1 if flat is not None else None)}
    if errors:
        entry["converter_errors"] = errors
    if flat is not None:
        with open(os.path.join(out, file), "wb") as f:
            f.write(flat)
        entry["bytes"] = len(flat)
    print("ENTRY " + json.dumps(entry))


def main():
    if sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    out = sys.argv[1]
    only = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--only" else None
    os.makedirs(out, exist_ok=True)
    index = []
    if only is not None:  # refresh one model's entries in an existing models.json
        with open(os.path.join(out, "models.json")) as f:
            index = [m for m in json.load(f)["models"] if m["model"] != only]
    for name in sorted(models()):
        if only is not None and name != only:
            continue
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1") if name == LEGACY_LSTM else None
        for recipe in RECIPES:
            # one process per conversion: the converter can crash (it segfaults on a batch-1
            # Keras 3 LSTM), and a crash is recorded like a refusal
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", name, recipe,
                                out], capture_output=True, text=True, env=env)
            lines = [line for line in r.stdout.splitlines() if line.startswith("ENTRY ")]
            if lines:
                entry = json.loads(lines[-1][6:])
            else:
                entry = {"file": None, "model": name, "recipe": recipe,
                         "converter_errors": [{"batch": None, "converter_error":
                                               "converter process died with status %d (batch 1 "
                                               "after dynamic batch failed)" % r.returncode}]}
                tail = [line for line in r.stderr.splitlines() if "error:" in line]
                if tail:
                    entry["converter_errors"].insert(0, {"batch": None,
                                                         "converter_error": tail[0][-240:]})
            index.append(entry)
            print(name, recipe, entry.get("bytes"), entry.get("converter_errors", ""))
    index.sort(key=lambda m: (m["model"], RECIPES.index(m["recipe"])))
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "keras": keras.__version__,
                   "tf_keras": "2.21.0 (" + LEGACY_LSTM + " only)", "models": index}, f, indent=1)


if __name__ == "__main__":
    main()
