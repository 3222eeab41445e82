/** Data-parallel training over worker_threads: see trainer.ts and docs/engine.md. */
