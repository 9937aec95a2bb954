"""The interactive documentation, ``/docs`` and ``/redoc``, served whole by the app itself."""
