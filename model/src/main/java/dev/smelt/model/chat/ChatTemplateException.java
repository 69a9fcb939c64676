package dev.smelt.model.chat;

/** A chat template that cannot be rendered; the message names the template line when known. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
