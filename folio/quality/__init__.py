"""Quality: the Great Expectations gates (suites in expectations/) and their results."""
