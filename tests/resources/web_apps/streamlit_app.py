"""A Streamlit app: its page is drawn by scripts loaded under its prefix, over its websocket (_stcore/stream)."""

import streamlit as st

st.title("Hello from Streamlit")
if "clicks" not in st.session_state:
    st.session_state.clicks = 0
if st.button("Count"):
    st.session_state.clicks += 1
st.write(f"Clicked {st.session_state.clicks} times")
