"""Where models come from: resolution (:mod:`.sources`) and everything that builds a model offline.

``sources`` resolves ``QA_MODEL`` and calls the builders; the builders never call back. The real
model comes from the hubs; ``repro`` is built from Google's mBERT (``maven``, ``tf_checkpoint``,
``mbert``) and the adapter that ``finetune`` trained; ``random_models`` are the random test models;
``onnx_export`` writes what Spark NLP imports.
"""
