"""Fuzzing and injection tests: hypothesis, schemathesis, hostile payloads."""
