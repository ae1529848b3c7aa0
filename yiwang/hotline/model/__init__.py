"""诉求自动分类 files shipped with the app: the exported classifier (plain JSON), the jieba
user dictionary, and the training corpus (``corpus.csv``: government text, no citizen
labels) that the platform retrains on together with agents' labels. The corpus builder
and the training script live in ``tools/hotline_classifier/`` (build time only)."""
