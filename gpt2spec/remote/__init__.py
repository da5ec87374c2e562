"""The judge/worker split: the spec runs in the judge process, the implementation in a worker process
(gpt2spec/remote/worker.py), driven through proxies (gpt2spec/remote/proxy.py) over a data-only wire format
(gpt2spec/remote/codec.py). See docs/GRADING.md, "Judge and worker"."""
