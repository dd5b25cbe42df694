# Prompts and learning: pure logic over the engine.
service_USES := engine
