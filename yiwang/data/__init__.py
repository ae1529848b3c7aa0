"""Data resource room (数据资源体系): catalogue, data elements, base registries,
ingestion and quality, sharing exchange, data objections."""
