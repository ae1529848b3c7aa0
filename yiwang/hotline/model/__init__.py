"""诉求自动分类 model files: the synthetic corpus, its generator, the user dictionary, the
training script and the exported classifier (plain JSON)."""
