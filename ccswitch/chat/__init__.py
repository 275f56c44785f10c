"""Chat: the chatbot in front of a chat queue (``bot``), pure; what it reads in a message (``text``), the safe
subset of patterns (``patterns``), opening hours from the dialplan (``hours``), and its built-in words and texts
(``defaults``). The shell that feeds it (the web chat, ``ccswitch bot``) lives elsewhere."""
