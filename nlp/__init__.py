"""Understanding what people write: jieba tokenising, intent classification, hesitation detection."""
