"""The printed list of a commune health station, for people without a phone: a message
"sent" this way is on its commune's list (``GET /api/v1/messages/printed``), which the station
prints and hands out."""

from veteran_care.messaging.channels.base import Answer, Outgoing


class PrintedList:
    async def send(self, message: Outgoing) -> Answer:
        return Answer("sent", f"on the printed list of commune {message.recipient}")
