"""The evolution engine: run loop, controller, proposers, checks, sandboxed evaluation."""
