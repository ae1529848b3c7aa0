"""诉求自动分类 build: the synthetic 12345 corpus (``training.csv``, ``heldout.csv``), its
generator and the training script that exports ``yiwang/hotline/model/classifier.json``.
Kept out of the installed package: the running app only scores with the exported JSON."""
