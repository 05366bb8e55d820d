# Elasticsearch with Korean (nori) analysis, for deploy/compose.yaml. Sinmun analyses Korean
# with Kiwi itself, but keeps the engine's nori profile as a measured option (docs/search.md).
ARG ELASTICSEARCH_VERSION=9.2.0
FROM docker.elastic.co/elasticsearch/elasticsearch:${ELASTICSEARCH_VERSION}
RUN bin/elasticsearch-plugin install --batch analysis-nori
