# OpenSearch with Korean (nori) analysis: deploy/compose.yaml's `opensearch` profile.
ARG OPENSEARCH_VERSION=2.19.1
FROM opensearchproject/opensearch:${OPENSEARCH_VERSION}
RUN bin/opensearch-plugin install --batch analysis-nori
