from tests import helpers


async def test_home_lists_upcoming_event(client):
    club = await helpers.make_club()
    await helpers.make_event(club, title="Sunrise hike")
    response = await client.get("/")
    assert response.status_code == 200
    assert "Sunrise hike" in response.text
