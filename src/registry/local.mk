# src/registry
