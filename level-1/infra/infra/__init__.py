"""CDK constructs and stack for level 1 of wio-terminal-aws-connect."""
