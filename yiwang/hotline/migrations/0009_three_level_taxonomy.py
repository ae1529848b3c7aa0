"""The flat 诉求分类 (13 大类, 4-digit leaves) becomes the three-level taxonomy.

On a database holding the old tree: the old rows are renamed out of the way first (old
大类 codes 01–13 are new 大类 codes too), the new tree is loaded from
``fixtures/taxonomy.json``, every foreign key to a category (tickets, their predicted
category, knowledge entries, routing rules, hotspot alerts, …) is re-pointed from each old
code to the leaf that replaces it (an old 大类 to the new 大类 of its first leaf; where a
unique constraint would be broken, the row already there is kept), the old rows nothing
points at any more are deleted, and version 1 is recorded with the mapping. A new
database (no categories yet) is left to the post-migrate seeding."""

from django.db import migrations
from django.db.models.functions import Length

from yiwang.hotline import taxonomy

OLD_PREFIX = "old-"


def _references(apps, Category):
    """(model, field name) of every foreign key to Category but its own parent."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not (field.concrete and getattr(field, "many_to_one", False)):
                continue
            if field.related_model is Category and model is not Category:
                yield model, field.name


def _unique_partners(model, name):
    """The other fields of each unique constraint of ``model`` that includes ``name``."""
    sets = [c.fields for c in model._meta.constraints if getattr(c, "fields", None)]
    sets += [tuple(t) for t in model._meta.unique_together]
    return [[f for f in fields if f != name] for fields in sets if name in fields]


def _repoint(model, name, moves):
    """Move rows of ``model`` from each old category pk to its new one; a row that would
    duplicate one already on the new category (a unique constraint) is dropped."""
    partners = _unique_partners(model, name)
    for old_pk, new_pk in moves.items():
        rows = model.objects.filter(**{f"{name}_id": old_pk})
        if not partners:
            rows.update(**{f"{name}_id": new_pk})
            continue
        for row in rows:
            clash = any(
                model.objects.filter(
                    **{f"{name}_id": new_pk},
                    **{
                        f"{f}_id" if model._meta.get_field(f).is_relation else f: _value(row, f)
                        for f in fields
                    },
                )
                .exclude(pk=row.pk)
                .exists()
                for fields in partners
            )
            if clash:
                row.delete()
            else:
                model.objects.filter(pk=row.pk).update(**{f"{name}_id": new_pk})


def _value(row, field_name):
    field = row._meta.get_field(field_name)
    return getattr(row, field.attname)


def _load(Category, nodes):
    """The new tree's rows, parents first; returns code → pk."""
    pks = {}
    for node in sorted(nodes, key=lambda n: (len(n["code"]), n["code"])):
        row = Category.objects.create(
            code=node["code"],
            name=node["name"],
            name_en=node.get("name_en", ""),
            parent_id=pks.get(node.get("parent")),
            line=node.get("line", ""),
            description=node.get("description", ""),
            description_en=node.get("description_en", ""),
            keywords=list(node.get("keywords", [])),
            active=True,
        )
        pks[node["code"]] = row.pk
    return pks


def forwards(apps, schema_editor):
    Category = apps.get_model("hotline", "Category")
    TaxonomyVersion = apps.get_model("hotline", "TaxonomyVersion")
    if not Category.objects.exists():
        return  # a new database: seeded after migrate
    if Category.objects.annotate(n=Length("code")).filter(n=taxonomy.LEAF_DIGITS).exists():
        return  # already the three-level tree
    data = taxonomy.read(taxonomy.TAXONOMY_FILE)
    mapping = taxonomy.old_mapping(data)
    old = list(Category.objects.select_related("parent"))
    for row in old:
        Category.objects.filter(pk=row.pk).update(code=OLD_PREFIX + row.code, active=False)
    pks = _load(Category, data["nodes"])
    moves, used = {}, {}
    for row in old:
        target = mapping.get(row.code)
        if target is None and row.parent is not None:
            target = mapping.get(row.parent.code)
        if target in pks:
            moves[row.pk] = pks[target]
            used[row.code] = target
    for model, name in _references(apps, Category):
        _repoint(model, name, moves)
    for row in sorted(old, key=lambda r: -len(r.code)):
        if row.pk in moves and not Category.objects.filter(parent_id=row.pk).exists():
            Category.objects.filter(pk=row.pk).delete()
    rows = Category.objects.order_by("code").values(
        "code", "parent__code", *(f for f in taxonomy.NODE_FIELDS if f != "parent")
    )
    number = (
        TaxonomyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
    )
    TaxonomyVersion.objects.create(
        number=number + 1,
        note="按 GB/T 39666-2020 及省级 12345 诉求分类标准建立的三级分类（由旧分类迁移）",
        snapshot=[taxonomy.node_dict(r) for r in rows],
        mapping=used,
    )


class Migration(migrations.Migration):
    dependencies = [("hotline", "0008_taxonomy_version")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
