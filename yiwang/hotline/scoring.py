"""诉求自动分类 in the running platform: the active model version (分类模型版本) with the
keywords of the categories in force, cached per process.

The classifier is rebuilt only when something it depends on changes: the active version
(promoted, rolled back) or the categories (a supervisor's keyword edit, a new or
retired leaf). Saves in this process invalidate the cache at once (signals); changes
made by another process are seen within ``RECHECK_SECONDS``, when one small query asks
for the active version number and one reads the categories' keywords — no heavy query
per request. Until a version is recorded the model shipped with the platform
(``model/classifier.json``) is version 1.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from yiwang.hotline import classify as runtime

RECHECK_SECONDS = 30.0
SHIPPED_VERSION = 1

_lock = threading.Lock()
_cache: dict[Any, Any] = {}


def invalidate(*_args, **_kwargs) -> None:
    """Forget the cached classifiers (a signal receiver: model versions changed)."""
    _cache.clear()


def invalidate_keywords(*_args, **_kwargs) -> None:
    """Forget the keywords bound (a signal receiver: categories changed); the weights of
    the versions stay loaded."""
    _cache.pop("current", None)


def leaf_keywords() -> dict[str, list[str]]:
    """Active leaves (小类: active categories without active children) → their matching
    terms (keywords and synonyms, and the name)."""
    from yiwang.hotline.models import Category

    rows = list(
        Category.objects.filter(active=True).values_list("code", "name", "keywords", "parent__code")
    )
    parents = {p for _c, _n, _k, p in rows if p}
    return {
        code: runtime.terms(name, kws if isinstance(kws, list) else [])
        for code, name, kws, _p in rows
        if code not in parents
    }


def active_number() -> int:
    """Number of the active model version (the shipped model's when none is recorded)."""
    from yiwang.hotline.models import ClassifierVersion, VersionStatus

    number = (
        ClassifierVersion.objects.filter(status=VersionStatus.ACTIVE)
        .values_list("number", flat=True)
        .first()
    )
    return number or SHIPPED_VERSION


def model_of(number: int) -> dict[str, Any]:
    """The exported model of a version: its stored JSON, or the shipped file when the
    version keeps none (version 1)."""
    from yiwang.hotline.models import ClassifierVersion

    stored = ClassifierVersion.objects.filter(number=number).values_list("model", flat=True).first()
    return stored or runtime.load_model()


def version_classifier(number: int) -> runtime.Classifier:
    """The classifier of a version without keywords bound; the heavy part (weights) is
    kept per version so a keyword edit does not rebuild it."""
    base = _cache.get(("base", number))
    if base is None:
        if number == SHIPPED_VERSION and not model_of(number).get("classes"):
            base = runtime.classifier()
        else:
            base = runtime.Classifier(model_of(number))
        _cache[("base", number)] = base
    return base


def current() -> tuple[runtime.Classifier, int]:
    """(classifier, version number) in force, rechecked at most every RECHECK_SECONDS."""
    now = time.monotonic()
    hit = _cache.get("current")
    if hit is not None and now - hit[2] < RECHECK_SECONDS:
        return hit[0], hit[1]
    with _lock:
        number = active_number()
        keywords = leaf_keywords()
        key = (number, _signature(keywords))
        if hit is not None and hit[3] == key:
            clf = hit[0]
        else:
            clf = version_classifier(number).rebind(keywords)
        _cache["current"] = (clf, number, now, key)
    return clf, number


def _signature(keywords: dict[str, list[str]]) -> int:
    return hash(tuple(sorted((k, tuple(v)) for k, v in keywords.items())))


def classify(text: str) -> tuple[runtime.Prediction, int]:
    """诉求自动分类 of one ticket text with the version in force: (prediction, version)."""
    clf, number = current()
    return clf.predict(text), number


def connect_signals() -> None:
    """Invalidate the cache when categories or model versions are saved or deleted."""
    from django.db.models.signals import post_delete, post_save

    from yiwang.hotline.models import Category, ClassifierVersion

    for model, receiver in ((Category, invalidate_keywords), (ClassifierVersion, invalidate)):
        uid = f"hotline-classifier-{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete")
