# src/schema: JSON Schema validator
