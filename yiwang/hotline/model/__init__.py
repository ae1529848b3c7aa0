"""诉求自动分类 model files shipped with the app: the exported classifier (plain JSON) and
the jieba user dictionary. The corpus, its generator and the training script live in
``tools/hotline_classifier/`` (build time only)."""
