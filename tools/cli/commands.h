/* Subcommand table (X-macro): CLI_COMMAND(name, function, one-line usage).
 * Add a line here and a cmd_<name>.c defining the function. */
CLI_COMMAND("plan", cmd_plan, "plan MODEL.tflite [--json]")
CLI_COMMAND("ops", cmd_ops, "ops [--markdown]")
CLI_COMMAND("infer", cmd_infer,
            "infer MODEL.tflite --input IN.bin [--output OUT.bin] [--reset]")
CLI_COMMAND("train", cmd_train,
            "train MODEL.tflite --data SAMPLES.bin --adapter SPEC --steps N --seed S --out ADAPTER.bin [--lr X] [--json] ...")
CLI_COMMAND("eval", cmd_eval, "eval MODEL.tflite --data SAMPLES.bin [--adapter ADAPTER.bin] [--json]")
CLI_COMMAND("merge", cmd_merge, "merge MODEL.tflite --adapter ADAPTER.bin --out MERGED.bin [--json] [--data SAMPLES.bin [--outputs OUT.bin]]")
