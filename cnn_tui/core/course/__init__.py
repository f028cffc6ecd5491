"""The course: the lesson format, the safe evaluator of lesson expressions, computed answers,
and saved progress."""
