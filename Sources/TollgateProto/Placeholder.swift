// Filled by scripts/generate-proto.sh.
