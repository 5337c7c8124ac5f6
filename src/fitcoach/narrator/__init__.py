"""The language-model narrator and the policy of what it may see."""
