"""Framework integrations: two lines in a training script, each behind its own extra.

    runwatch.integrations.lightning.RunwatchLogger      pip install 'runwatch[lightning]'
    runwatch.integrations.transformers.RunwatchCallback pip install 'runwatch[transformers]'
    runwatch.integrations.keras.RunwatchCallback        pip install 'runwatch[keras]'

Importing `runwatch` imports none of them (nor their frameworks). Each one turns what the
framework reports into `Run.log` / `log_checkpoint` / `update_config` calls and never lets a
runwatch problem reach the training loop: it warns and carries on.
"""
