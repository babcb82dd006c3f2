# slot: pbo.calculate_score
# expect: rejected
# reason: import of 'socket' is not allowed
# class: imports
import socket


def calculate_score(hscore, oscore):
    socket.create_connection(("127.0.0.1", 80))
    return hscore + oscore
